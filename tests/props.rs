//! Property tests of the two parsers that read text from outside: the lesson loader
//! (any string, and random mutations of the real lesson files: it reports, never
//! panics, and every position it reports lies inside the input) and the wire event
//! parser (any line: it never panics, and every event it accepts round-trips through
//! its own JSON), the wire writer (every line it emits, however long the event, fits
//! its bound and is one whole event), and the pickle decoder that reads a traced
//! program's pipe messages (any bytes, and mutations of real pickles: it refuses, never
//! panics). Case counts stay modest so the file runs in about a second.

use std::path::Path;

use proclab::lesson::loader::{LessonError, parse};
use proclab::ptrace::pickle;
use proclab::trace::event::Event;
use proclab::trace::reader::{Line, parse_line};
use proclab::trace::writer::{MAX_LINE, encode_line};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};

// ---------------------------------------------------------------- lesson loader

/// Every real lesson file and the guide's example, as (name, text).
fn real_lessons() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["lessons", "docs/example-lesson"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for p in rd.filter_map(|e| e.ok().map(|e| e.path())) {
            if p.extension().is_some_and(|x| x == "toml")
                && let Ok(src) = std::fs::read_to_string(&p)
            {
                files.push((p.display().to_string(), src));
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15, "real lessons not found");
    files
}

/// Positions count from 1; a message may also point just past the last character of
/// a line (or of the input: an unexpected end of file).
fn position_is_inside(src: &str, e: &LessonError) -> bool {
    let lines: Vec<&str> = src.split('\n').collect();
    e.line >= 1
        && e.line <= lines.len()
        && e.col >= 1
        && e.col <= lines[e.line - 1].chars().count() + 1
}

fn check_loader(src: &str) -> Result<(), TestCaseError> {
    match parse("x.toml", src, 64) {
        Ok(lesson) => {
            prop_assert!(!lesson.steps.is_empty());
            prop_assert!(lesson.steps.iter().all(|s| s.line >= 1));
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                prop_assert!(position_is_inside(src, e), "{e} is outside the input");
                prop_assert_eq!(&e.file, "x.toml");
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask (the result read back lossily as UTF-8).
    FlipByte(Index, u8),
    /// Cut the file at a byte (moved back to a character boundary).
    Truncate(Index),
    /// Remove one line.
    DeleteLine(Index),
    /// Put a fragment of TOML at a line start.
    Insert(Index, &'static str),
}

const FRAGMENTS: &[&str] = &[
    "[[steps]]\n",
    "[params]\n",
    "line = 0\n",
    "gate = \"\"\n",
    "'''\n",
    "[steps.title]\nen = \"é\"\n",
    "workers = 64\n",
    "x = [1, 2,\n",
    "\"\\u",
    "[process_lines]\nread = 999999999999999999999\n",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::FlipByte(i, m)),
        any::<Index>().prop_map(Mutation::Truncate),
        any::<Index>().prop_map(Mutation::DeleteLine),
        (any::<Index>(), prop::sample::select(FRAGMENTS)).prop_map(|(i, f)| Mutation::Insert(i, f)),
    ]
}

fn apply(src: &str, m: &Mutation) -> String {
    // An earlier mutation (a truncation at byte 0) can leave nothing to flip or
    // delete; `Index::index` panics on an empty range, so keep the text as it is.
    if src.is_empty() && matches!(m, Mutation::FlipByte(..) | Mutation::DeleteLine(_)) {
        return String::new();
    }
    match m {
        Mutation::FlipByte(i, mask) => {
            let mut bytes = src.as_bytes().to_vec();
            let at = i.index(bytes.len());
            bytes[at] ^= mask;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Truncate(i) => {
            let mut at = i.index(src.len() + 1);
            while !src.is_char_boundary(at) {
                at -= 1;
            }
            src[..at].to_string()
        }
        Mutation::DeleteLine(i) => {
            let mut lines: Vec<&str> = src.split_inclusive('\n').collect();
            let at = i.index(lines.len());
            lines.remove(at);
            lines.concat()
        }
        Mutation::Insert(i, fragment) => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(src.match_indices('\n').map(|(n, _)| n + 1))
                .collect();
            let at = starts[i.index(starts.len())];
            format!("{}{fragment}{}", &src[..at], &src[at..])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loader_never_panics_on_any_string(src in any::<String>()) {
        check_loader(&src)?;
    }

    #[test]
    fn loader_never_panics_on_toml_like_text(
        src in "([a-z_]{1,8} = (\"[a-zé]{0,4}\"|[0-9]{1,3}|true|\\[\\]|'''\n[a-z ]{0,6}\n''')\n|\\[\\[?[a-z.]{1,12}\\]\\]?\n|#.{0,5}\n){0,12}"
    ) {
        check_loader(&src)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn loader_never_panics_on_mutated_real_lessons(
        file in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let lessons = real_lessons();
        let (_, src) = &lessons[file.index(lessons.len())];
        let mut text = src.clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        check_loader(&text)?;
    }
}

#[test]
fn real_lessons_load_unmutated() {
    for (name, src) in real_lessons() {
        if let Err(e) = parse(&name, &src, 64) {
            panic!("{name}: {e:?}");
        }
    }
}

// ---------------------------------------------------------------- wire parser

/// The shape of each kind: field name and type (b: bool, i: i32, u: unsigned, s: string,
/// f: optional f32, F: list of f32, S: list of strings, v: any JSON, m: JSON object,
/// o: optional i32/u32, n: optional string).
const KINDS: &[(&str, &[(&str, char)])] = &[
    ("spawn", &[("ppid", 'i'), ("label", 's'), ("start", 'o')]),
    ("print", &[("text", 's')]),
    ("exit", &[("code", 'i')]),
    (
        "state",
        &[
            ("state", 's'),
            ("reason", 's'),
            ("cpu", 'f'),
            ("ignored", 'S'),
            ("caught", 'S'),
            ("core", 'o'),
        ],
    ),
    ("cpu", &[("cores", 'F')]),
    (
        "reap",
        &[
            ("child", 'i'),
            ("status", 'i'),
            ("code", 'o'),
            ("signal", 'n'),
        ],
    ),
    ("send_signal", &[("target", 'i'), ("signal", 's')]),
    ("handle_signal", &[("signal", 's'), ("action", 's')]),
    ("reparent", &[("old_ppid", 'i'), ("ppid", 'i')]),
    ("blocked", &[("on", 's')]),
    ("queue_put", &[("queue", 's'), ("item", 'v'), ("len", 'i')]),
    ("queue_get", &[("queue", 's'), ("item", 'v'), ("len", 'i')]),
    ("lock_acquire", &[("lock", 's'), ("waited_us", 'u')]),
    (
        "lock_release",
        &[("lock", 's'), ("waited_us", 'u'), ("held_us", 'u')],
    ),
    ("send", &[("channel", 's'), ("item", 'v'), ("repr", 'n')]),
    ("recv", &[("channel", 's'), ("item", 'v'), ("repr", 'n')]),
    ("value", &[("name", 's'), ("value", 'v')]),
    ("progress", &[("done", 'u'), ("total", 'u')]),
    ("result", &[("name", 's'), ("value", 'v')]),
    ("gate", &[("name", 's'), ("slot", 'o')]),
    ("hold", &[("on", 'b'), ("during", 'n')]),
    (
        "fork_failed",
        &[
            ("label", 's'),
            ("error", 's'),
            ("cap", 'o'),
            ("held", 'o'),
            ("errno", 'n'),
        ],
    ),
    (
        "summary",
        &[
            ("processes", 'u'),
            ("leaked", 'u'),
            ("duration_us", 'u'),
            ("results", 'm'),
        ],
    ),
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,8}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
        Just("\"\\\n\u{0}é中".to_string()),
    ]
}

/// Numbers at the edges of every integer type, and floats around f32's range.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u64..300).prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(vec![
            0.0,
            -0.0,
            0.1,
            99.5,
            1e-50,
            3.4028235e38,
            3.5e38,
            1e39,
            -1e39,
            f64::MAX,
            f64::MIN_POSITIVE,
        ])
        .prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn typed(ty: char) -> BoxedStrategy<Value> {
    match ty {
        'i' => any::<i32>().prop_map(Value::from).boxed(),
        'u' => prop_oneof![
            any::<u32>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from)
        ]
        .boxed(),
        's' => text().prop_map(Value::from).boxed(),
        'f' => prop_oneof![Just(Value::Null), number()].boxed(),
        'F' => prop::collection::vec(number(), 0..4)
            .prop_map(Value::Array)
            .boxed(),
        'S' => prop::collection::vec(text().prop_map(Value::from), 0..3)
            .prop_map(Value::Array)
            .boxed(),
        'b' => any::<bool>().prop_map(Value::from).boxed(),
        'o' => prop_oneof![Just(Value::Null), any::<u32>().prop_map(Value::from)].boxed(),
        'n' => prop_oneof![Just(Value::Null), text().prop_map(Value::from)].boxed(),
        'm' => prop::collection::btree_map("[a-z]{1,4}", json(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed(),
        _ => json().boxed(),
    }
}

/// A wire line of a random kind: most fields well typed, some of any type, some left
/// out, sometimes an extra field.
fn wire_line() -> impl Strategy<Value = String> {
    (0..KINDS.len()).prop_flat_map(|k| {
        let (kind, fields) = KINDS[k];
        let values: Vec<BoxedStrategy<Option<Value>>> = fields
            .iter()
            .map(|(_, ty)| {
                prop_oneof![
                    8 => typed(*ty).prop_map(Some),
                    1 => json().prop_map(Some),
                    1 => Just(None),
                ]
                .boxed()
            })
            .collect();
        (
            any::<u64>(),
            any::<i32>(),
            values,
            prop::option::weighted(0.2, ("[a-z_]{1,6}", json())),
        )
            .prop_map(move |(t_us, pid, values, extra)| {
                let mut m = Map::new();
                m.insert("t_us".into(), t_us.into());
                m.insert("pid".into(), pid.into());
                m.insert("kind".into(), kind.into());
                for ((name, _), v) in fields.iter().zip(values) {
                    if let Some(v) = v {
                        m.insert((*name).into(), v);
                    }
                }
                if let Some((k, v)) = extra {
                    m.entry(k).or_insert(v);
                }
                Value::Object(m).to_string()
            })
    })
}

fn check_wire(line: &str) -> Result<bool, TestCaseError> {
    match parse_line(line) {
        Line::Malformed { line: shown, .. } => {
            prop_assert!(shown.chars().count() <= 200);
            Ok(false)
        }
        Line::Event(e) => {
            let again = serde_json::to_string(&e)
                .map_err(|err| TestCaseError::fail(format!("cannot write {e:?}: {err}")))?;
            match parse_line(&again) {
                Line::Event(back) => prop_assert_eq!(back, e),
                Line::Malformed { error, .. } => {
                    return Err(TestCaseError::fail(format!(
                        "{line}\nwas accepted, but its own JSON\n{again}\nis not: {error}"
                    )));
                }
            }
            Ok(true)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn wire_parser_never_panics_on_any_string(line in any::<String>()) {
        check_wire(&line)?;
    }

    #[test]
    fn wire_parser_never_panics_on_json_like_text(line in "[{}\\[\\]\":,0-9a-z_ .eE+-]{0,80}") {
        check_wire(&line)?;
    }

    #[test]
    fn every_accepted_event_round_trips(line in wire_line()) {
        check_wire(&line)?;
    }

    #[test]
    fn every_accepted_event_round_trips_after_a_cut(line in wire_line(), cut in any::<Index>()) {
        let mut at = cut.index(line.len() + 1);
        while !line.is_char_boundary(at) {
            at -= 1;
        }
        check_wire(&line[..at])?;
    }
}

// ---------------------------------------------------------------- wire writer

/// Every string `times` times longer and every list up to 8 times longer (its
/// entries repeated), but for the event's `kind`.
fn inflate(v: &mut Value, times: usize) {
    match v {
        Value::String(s) => *s = s.repeat(times),
        Value::Array(items) => {
            items.iter_mut().for_each(|i| inflate(i, times));
            let once = items.clone();
            for _ in 1..times.min(8) {
                items.extend(once.iter().cloned());
            }
        }
        Value::Object(map) => map
            .iter_mut()
            .filter(|(k, _)| k.as_str() != "kind")
            .for_each(|(_, x)| inflate(x, times)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any accepted event, made as long as it gets, is written as one line of at most
    /// PIPE_BUF bytes that the reader accepts as an event again: shortened inside,
    /// never cut into broken JSON.
    #[test]
    fn every_line_the_writer_emits_is_one_whole_event(line in wire_line(), times in 1usize..400) {
        let Line::Event(e) = parse_line(&line) else {
            return Ok(());
        };
        let mut v = serde_json::to_value(&e).map_err(|err| TestCaseError::fail(err.to_string()))?;
        inflate(&mut v, times);
        let Ok(big) = serde_json::from_value::<Event>(v) else {
            return Ok(());
        };
        let out = encode_line(&big);
        prop_assert!(out.len() <= MAX_LINE, "{} bytes", out.len());
        prop_assert_eq!(out.last(), Some(&b'\n'));
        let text = std::str::from_utf8(&out[..out.len() - 1])
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        prop_assert!(!text.contains('\n'), "one line");
        match parse_line(text) {
            Line::Event(back) => {
                let same_kind = back.kind.name() == big.kind.name() || back.kind.name() == "print";
                prop_assert!(same_kind, "{} became {}", big.kind.name(), back.kind.name());
                prop_assert_eq!((back.t_us, back.pid), (big.t_us, big.pid));
            }
            Line::Malformed { error, .. } => {
                return Err(TestCaseError::fail(format!("{error}: {text}")));
            }
        }
    }
}

/// The generator is worth something only if it produces accepted events of every kind.
#[test]
fn generated_lines_of_every_kind_are_accepted() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = wire_line();
    let mut accepted = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        if let Line::Event(e) = parse_line(&tree.current()) {
            accepted.insert(e.kind.name());
        }
    }
    let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    for k in &kinds {
        assert!(
            accepted.contains(k),
            "no accepted '{k}' event in 2000 lines"
        );
    }
}

// ---------------------------------------------------------------- pickle decoder

/// Real pickles (CPython 3.11) of every protocol the decoder reads: memo references,
/// sets, frozensets, bytes, big ints, instances, floats, bytearray.
const PICKLES: &[&[u8]] = &[
    b"\x80\x04\x95\x13\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94(K\x01K\x02eh\x01h\x01\x85\x94e.",
    b"\x80\x04\x95+\x00\x00\x00\x00\x00\x00\x00}\x94(K\x01\x8c\x01a\x94K\x02K\x03\x86\x94C\x02\x00\xff\x94\x8c\x01k\x94\x8f\x94(K\x01K\x02\x90\x8c\x01f\x94(K\x03\x91\x94u.",
    b"\x80\x02\x8a\r\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10.",
    b"\x80\x02}q\x00(X\x01\x00\x00\x00sq\x01c__builtin__\nset\nq\x02]q\x03(K\x01K\x02e\x85q\x04Rq\x05X\x01\x00\x00\x00bq\x06c_codecs\nencode\nq\x07X\x02\x00\x00\x00abq\x08X\x06\x00\x00\x00latin1q\t\x86q\nRq\x0bX\x02\x00\x00\x00baq\x0cc__builtin__\nbytearray\nq\rh\x07X\x01\x00\x00\x00zq\x0eh\t\x86q\x0fRq\x10\x85q\x11Rq\x12u.",
    b"\x80\x03]q\x00(c__main__\nP\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00xq\x04K\x01X\x01\x00\x00\x00yq\x05]q\x06K\x02aubh\x01)\x81q\x07}q\x08(h\x04K\x01h\x05]q\tK\x02aube.",
    b"\x80\x05\x95(\x00\x00\x00\x00\x00\x00\x00(G?\xb9\x99\x99\x99\x99\x99\x9aG\x80\x00\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00\x8c\x06it's \n\x94t\x94.",
    b"\x80\x05\x95\r\x00\x00\x00\x00\x00\x00\x00\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94.",
];

#[derive(Debug, Clone)]
enum ByteEdit {
    Set(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
    /// A copy of one stretch put at another place (opcodes out of order).
    Splice(Index, Index, Index),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        any::<Index>().prop_map(ByteEdit::Remove),
        any::<Index>().prop_map(ByteEdit::Truncate),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| ByteEdit::Splice(a, b, c)),
    ]
}

fn edit(mut data: Vec<u8>, ms: &[ByteEdit]) -> Vec<u8> {
    for m in ms {
        if data.is_empty() {
            break;
        }
        let n = data.len();
        match m {
            ByteEdit::Set(i, b) => data[i.index(n)] = *b,
            ByteEdit::Insert(i, b) => data.insert(i.index(n + 1), *b),
            ByteEdit::Remove(i) => {
                data.remove(i.index(n));
            }
            ByteEdit::Truncate(i) => data.truncate(i.index(n)),
            ByteEdit::Splice(a, b, c) => {
                let (from, to) = (a.index(n), b.index(n));
                let piece = data[from.min(to)..from.max(to)].to_vec();
                let at = c.index(n + 1);
                data.splice(at..at, piece);
            }
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn pickle_decoder_never_panics_on_any_bytes(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = pickle::decode(&data);
    }

    #[test]
    fn pickle_decoder_never_panics_on_opcode_soup(
        ops in prop::collection::vec(
            prop::sample::select(b"\x80\x95\x94qrhj(012N\x88\x89KMJ\x8a\x8bG\x8cX\x8dCB\x8e\x96]})\x8fldt\x91\x85\x86\x87ae\x90su\x93Rb\x81\x92c.".to_vec()),
            0..64,
        ),
        args in prop::collection::vec(any::<u8>(), 64),
    ) {
        // Opcodes with a byte of argument after each: far more reach deep states than
        // random bytes do.
        let data: Vec<u8> = ops.iter().zip(&args).flat_map(|(o, a)| [*o, *a]).collect();
        let _ = pickle::decode(&data);
    }

    #[test]
    fn pickle_decoder_never_panics_on_mutated_pickles(
        which in any::<Index>(),
        ms in prop::collection::vec(byte_edit(), 1..6),
    ) {
        let data = edit(PICKLES[which.index(PICKLES.len())].to_vec(), &ms);
        if let Some(p) = pickle::decode(&data) {
            prop_assert!(!p.repr.is_empty());
        }
    }
}

#[test]
fn the_real_pickles_decode() {
    let shown: Vec<String> = PICKLES
        .iter()
        .map(|p| pickle::decode(p).map_or_else(|| "None".into(), |p| p.repr))
        .collect();
    assert_eq!(
        shown,
        [
            "[[1, 2], [1, 2], ([1, 2],)]",
            "{1: 'a', (2, 3): b'\\x00\\xff', 'k': {1, 2}, 'f': frozenset({3})}",
            "1267650600228229401496703205376",
            "{'s': {1, 2}, 'b': b'ab', 'ba': bytearray(b'z')}",
            "[__main__.P(x=1, y=[2]), __main__.P(x=1, y=[2])]",
            "(0.1, -0.0, inf, \"it's \\n\")",
            "bytearray(b'ab')",
        ]
    );
}
