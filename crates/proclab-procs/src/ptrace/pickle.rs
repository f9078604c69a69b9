//! Python's pickle format (protocols 2–5, and the simple opcodes of 0 and 1), decoded
//! the way `pickle.loads` builds the object, to show what a `multiprocessing` Queue or
//! Connection carries: `decode` gives the object as Python's `repr()` prints it and a
//! JSON approximation of it. No class is ever looked up or called: an instance is shown
//! by its class's dotted name with its state (`__main__.Point(x=1, y=2)`), a bare class
//! or function as `<module.name>`; opcodes that need the unpickler's environment
//! (persistent ids, the extension registry, out-of-band buffers) make it `None`, and
//! the caller shows the message's size instead.
//!
//! Why a decoder of our own and not `serde-pickle` (the well-kept crate for the
//! format): its value type keeps dicts and sets in `BTreeMap` / `BTreeSet`, so the
//! order Python printed (insertion order, the set's iteration order) is lost; it turns
//! `bytearray` into `bytes`; and an instance of an unknown class becomes a bare dict (or
//! an error) without its class's name. What a learner must see is the object exactly
//! as Python prints it, so this module builds the object graph itself: every object is
//! a node in an arena, the stack and the memo hold node ids, so a memo entry is a
//! reference (`x = [1, 2]; [x, x]` shows `[[1, 2], [1, 2]]` even though the list was
//! memoized before it was filled) and a self-containing list prints `[[...]]` as in
//! Python. Integers past 64 bits use `num-bigint`; the printable-character rule of
//! string reprs uses `unicode-general-category`.
//!
//! Everything here reads the traced program's bytes: lengths are checked before use,
//! nesting deeper than `MAX_DEPTH` and output longer than `MAX_REPR` are refused, so
//! no input panics, overflows the stack or grows without bound (a memo reference can
//! double the printed size at each level).

mod show;
#[cfg(test)]
mod tests;

use num_bigint::BigInt;

/// A decoded pickle: the object as Python's `repr()` prints it, and as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Pickled {
    /// An approximation for code that needs a value: tuples and sets as arrays, bytes
    /// as their repr, integers beyond 64 bits as decimal strings, dict keys that are
    /// not strings as their repr.
    pub value: serde_json::Value,
    /// What `repr()` prints for the unpickled object.
    pub repr: String,
    /// When the object is a tuple: each item's repr, with its own items' reprs when it
    /// is a tuple too (how a Manager's requests and replies are read: `manager.rs`).
    pub parts: Vec<(String, Vec<String>)>,
}

/// Decodes `data` (one pickle, from its PROTO opcode to STOP), or `None` when it is not
/// a pickle this module can show.
pub fn decode(data: &[u8]) -> Option<Pickled> {
    let (arena, root) = Machine::default().run(data)?;
    show::render(&arena, root)
}

// Python's repr of a float or a str is not the pickle's alone (the wire's `py_repr`
// writes it too), so it lives below both; these names stay for the pickle's callers.
pub use crate::pyrepr::{float_repr, str_repr};

/// Nesting deeper than this is refused (Python's own repr would hit its recursion
/// limit not much further).
const MAX_DEPTH: usize = 200;
/// Reprs longer than this (in bytes) are refused.
const MAX_REPR: usize = 256 * 1024;
/// Integers longer than this (in bytes) are shown by their size: Python 3.11+ refuses
/// to print an int of more than 4300 digits too.
const MAX_INT_BYTES: usize = 1785;

type Id = usize;

#[derive(Debug)]
enum Node {
    None,
    Bool(bool),
    Int(i64),
    Big(BigInt),
    /// An integer too long to print, by its length in bytes.
    Huge(usize),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    ByteArray(Vec<u8>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    FrozenSet(Vec<Id>),
    /// A class or function, by reference (`module.name`).
    Global(String),
    /// What a class or callable made: `class(args, **kwargs)`, then whatever APPENDS,
    /// SETITEMS and BUILD gave it.
    Object(Object),
}

#[derive(Debug, Default)]
struct Object {
    class: String,
    args: Vec<Id>,
    kwargs: Vec<(Id, Id)>,
    items: Vec<Id>,
    dict_items: Vec<(Id, Id)>,
    state: Vec<Id>,
}

#[derive(Clone, Copy)]
enum Slot {
    Mark,
    Node(Id),
}

#[derive(Default)]
struct Machine {
    arena: Vec<Node>,
    stack: Vec<Slot>,
    memo: std::collections::HashMap<u64, Id>,
}

/// The unread rest of the pickle.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        // A length read from the traced program's bytes: it may be anything.
        let s = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn le(&mut self, n: usize) -> Option<u64> {
        let b = self.take(n)?;
        Some(
            b.iter()
                .rev()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
        )
    }

    fn len(&mut self, n: usize) -> Option<usize> {
        usize::try_from(self.le(n)?).ok()
    }

    /// A protocol 0 argument: the text up to the next newline.
    fn line(&mut self) -> Option<&'a str> {
        let rest = self.data.get(self.at..)?;
        let end = rest.iter().position(|b| *b == b'\n')?;
        self.at += end + 1;
        std::str::from_utf8(&rest[..end]).ok()
    }
}

/// Python 2 names that Python 3's unpickler maps to their new home (the ones pickles
/// of plain data use).
fn fix_module(module: &str) -> &str {
    match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    }
}

/// A little-endian two's complement integer of any length.
#[allow(
    clippy::cast_possible_wrap,
    reason = "pickle LONG1 bytes read as two-complement, as pickle.loads does: the wrap is the decoding"
)]
fn long(b: &[u8]) -> Node {
    if b.len() > MAX_INT_BYTES {
        return Node::Huge(b.len());
    }
    if b.len() <= 8 {
        let mut v = b
            .iter()
            .rev()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)) as i64;
        let n = b.len();
        if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 {
            v -= 1i64 << (8 * n);
        }
        return Node::Int(v);
    }
    Node::Big(BigInt::from_signed_bytes_le(b))
}

/// A protocol 0 integer (`I` / `L`): decimal text, `01` / `00` for True / False.
fn text_int(s: &str) -> Option<Node> {
    let s = s.strip_suffix('L').unwrap_or(s);
    match s {
        "01" => return Some(Node::Bool(true)),
        "00" => return Some(Node::Bool(false)),
        _ => {}
    }
    if s.len() > MAX_INT_BYTES {
        return Some(Node::Huge(s.len() / 2));
    }
    if let Ok(v) = s.parse::<i64>() {
        return Some(Node::Int(v));
    }
    s.parse::<BigInt>().ok().map(Node::Big)
}

impl Machine {
    fn push(&mut self, node: Node) {
        self.stack.push(Slot::Node(self.arena.len()));
        self.arena.push(node);
    }

    fn pop(&mut self) -> Option<Id> {
        match self.stack.pop()? {
            Slot::Node(id) => Some(id),
            Slot::Mark => None,
        }
    }

    fn top(&self) -> Option<Id> {
        match self.stack.last()? {
            Slot::Node(id) => Some(*id),
            Slot::Mark => None,
        }
    }

    /// The items above the topmost mark, and the mark removed.
    fn pop_mark(&mut self) -> Option<Vec<Id>> {
        let at = self.stack.iter().rposition(|x| matches!(x, Slot::Mark))?;
        let items = self.stack.split_off(at + 1);
        self.stack.pop();
        items
            .into_iter()
            .map(|x| match x {
                Slot::Node(id) => Some(id),
                Slot::Mark => None,
            })
            .collect()
    }

    fn pairs(items: Vec<Id>) -> Option<Vec<(Id, Id)>> {
        if !items.len().is_multiple_of(2) {
            return None;
        }
        Some(items.chunks(2).map(|p| (p[0], p[1])).collect())
    }

    fn remember(&mut self, key: u64) -> Option<()> {
        let top = self.top()?;
        self.memo.insert(key, top);
        Some(())
    }

    fn recall(&mut self, key: u64) -> Option<()> {
        let id = *self.memo.get(&key)?;
        self.stack.push(Slot::Node(id));
        Some(())
    }

    fn str_of(&self, id: Id) -> Option<&str> {
        match &self.arena[id] {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    fn tuple_of(&self, id: Id) -> Option<Vec<Id>> {
        match &self.arena[id] {
            Node::Tuple(items) => Some(items.clone()),
            _ => None,
        }
    }

    /// APPEND / APPENDS / ADDITEMS onto the top of the stack.
    fn add_items(&mut self, items: Vec<Id>, set: bool) -> Option<()> {
        let top = self.top()?;
        match (&mut self.arena[top], set) {
            (Node::List(list), false) | (Node::Set(list), true) => list.extend(items),
            (Node::Object(o), _) => o.items.extend(items),
            _ => return None,
        }
        Some(())
    }

    /// SETITEM / SETITEMS onto the top of the stack.
    fn set_items(&mut self, pairs: Vec<(Id, Id)>) -> Option<()> {
        let top = self.top()?;
        match &mut self.arena[top] {
            Node::Dict(map) => map.extend(pairs),
            Node::Object(o) => o.dict_items.extend(pairs),
            _ => return None,
        }
        Some(())
    }

    /// REDUCE: `callable(*args)`. The builtins plain data is pickled through (sets and
    /// bytes before protocol 4, bytearray before 5) become that data; anything else an
    /// object of that callable.
    fn reduce(&mut self, callable: Id, args: Vec<Id>) -> Option<Node> {
        let Node::Global(name) = &self.arena[callable] else {
            return None;
        };
        let items = |m: &Self, i: usize| -> Option<Vec<Id>> {
            match args.get(i).map(|a| &m.arena[*a]) {
                None => Some(Vec::new()),
                Some(Node::List(items)) | Some(Node::Tuple(items)) => Some(items.clone()),
                Some(_) => None,
            }
        };
        let latin1 = |m: &Self| -> Option<Vec<u8>> {
            let s = m.str_of(*args.first()?)?;
            let enc = m.str_of(*args.get(1)?)?;
            if !matches!(enc, "latin1" | "latin-1") {
                return None;
            }
            s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
        };
        let node = match name.as_str() {
            "builtins.set" if args.len() <= 1 => items(self, 0).map(Node::Set),
            "builtins.frozenset" if args.len() <= 1 => items(self, 0).map(Node::FrozenSet),
            "builtins.bytes" if args.is_empty() => Some(Node::Bytes(Vec::new())),
            "_codecs.encode" if args.len() == 2 => latin1(self).map(Node::Bytes),
            "builtins.bytearray" => match args.as_slice() {
                [] => Some(Node::ByteArray(Vec::new())),
                [b] => match &self.arena[*b] {
                    Node::Bytes(b) => Some(Node::ByteArray(b.clone())),
                    _ => None,
                },
                _ => latin1(self).map(Node::ByteArray),
            },
            _ => None,
        };
        Some(node.unwrap_or_else(|| {
            Node::Object(Object {
                class: name.clone(),
                args,
                ..Object::default()
            })
        }))
    }

    #[allow(
        clippy::cast_possible_wrap,
        reason = "BININT2 is an unsigned 16-bit value: it always fits an i64"
    )]
    fn run(mut self, data: &[u8]) -> Option<(Vec<Node>, Id)> {
        let mut r = Reader { data, at: 0 };
        loop {
            let op = r.byte()?;
            match op {
                0x80 => {
                    // PROTO
                    if r.byte()? > 5 {
                        return None;
                    }
                }
                0x95 => {
                    r.take(8)?; // FRAME: a hint for buffering only
                }
                b'.' => {
                    // STOP
                    let root = self.pop()?;
                    return Some((self.arena, root));
                }
                b'(' => self.stack.push(Slot::Mark),
                b'0' => {
                    self.stack.pop()?; // POP
                }
                b'1' => {
                    self.pop_mark()?; // POP_MARK
                }
                b'2' => {
                    let top = self.top()?; // DUP
                    self.stack.push(Slot::Node(top));
                }
                // Memo: by reference, so what is filled in later shows everywhere.
                0x94 => self.remember(self.memo.len() as u64)?, // MEMOIZE
                b'q' => self.remember(u64::from(r.byte()?))?,   // BINPUT
                b'r' => self.remember(r.le(4)?)?,               // LONG_BINPUT
                b'p' => self.remember(r.line()?.parse().ok()?)?, // PUT
                b'h' => self.recall(u64::from(r.byte()?))?,     // BINGET
                b'j' => self.recall(r.le(4)?)?,                 // LONG_BINGET
                b'g' => self.recall(r.line()?.parse().ok()?)?,  // GET
                b'N' => self.push(Node::None),
                0x88 => self.push(Node::Bool(true)),
                0x89 => self.push(Node::Bool(false)),
                b'K' => self.push(Node::Int(i64::from(r.byte()?))), // BININT1
                b'M' => self.push(Node::Int(r.le(2)? as i64)),      // BININT2
                b'J' => {
                    // BININT
                    let v = i32::from_le_bytes(r.take(4)?.try_into().ok()?);
                    self.push(Node::Int(i64::from(v)));
                }
                0x8a | 0x8b => {
                    // LONG1 / LONG4
                    let n = if op == 0x8a {
                        usize::from(r.byte()?)
                    } else {
                        // LONG4's length is signed; a negative one is an error.
                        usize::try_from(i32::from_le_bytes(r.take(4)?.try_into().ok()?)).ok()?
                    };
                    let node = long(r.take(n)?);
                    self.push(node);
                }
                b'I' | b'L' => {
                    let node = text_int(r.line()?)?;
                    self.push(node);
                }
                b'G' => {
                    let v = f64::from_be_bytes(r.take(8)?.try_into().ok()?);
                    self.push(Node::Float(v));
                }
                b'F' => {
                    let v = r.line()?.trim().parse().ok()?;
                    self.push(Node::Float(v));
                }
                0x8c | b'X' | 0x8d => {
                    // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8
                    let n = match op {
                        0x8c => usize::from(r.byte()?),
                        b'X' => r.len(4)?,
                        _ => r.len(8)?,
                    };
                    let s = std::str::from_utf8(r.take(n)?).ok()?;
                    self.push(Node::Str(s.to_string()));
                }
                b'U' | b'T' => {
                    // SHORT_BINSTRING, BINSTRING: a Python 2 str, read as ASCII text
                    // (the unpickler's default encoding).
                    let n = if op == b'U' {
                        usize::from(r.byte()?)
                    } else {
                        usize::try_from(i32::from_le_bytes(r.take(4)?.try_into().ok()?)).ok()?
                    };
                    let b = r.take(n)?;
                    if !b.is_ascii() {
                        return None;
                    }
                    self.push(Node::Str(String::from_utf8_lossy(b).into_owned()));
                }
                b'C' | b'B' | 0x8e | 0x96 => {
                    // SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8
                    let n = match op {
                        b'C' => usize::from(r.byte()?),
                        b'B' => r.len(4)?,
                        _ => r.len(8)?,
                    };
                    let b = r.take(n)?.to_vec();
                    self.push(if op == 0x96 {
                        Node::ByteArray(b)
                    } else {
                        Node::Bytes(b)
                    });
                }
                b']' => self.push(Node::List(Vec::new())),
                b'}' => self.push(Node::Dict(Vec::new())),
                b')' => self.push(Node::Tuple(Vec::new())),
                0x8f => self.push(Node::Set(Vec::new())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Node::List(items));
                }
                b'd' => {
                    let pairs = Self::pairs(self.pop_mark()?)?;
                    self.push(Node::Dict(pairs));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Node::Tuple(items));
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push(Node::FrozenSet(items));
                }
                0x85..=0x87 => {
                    // TUPLE1..3
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Node::Tuple(items));
                }
                b'a' => {
                    let v = self.pop()?;
                    self.add_items(vec![v], false)?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.add_items(items, false)?;
                }
                0x90 => {
                    let items = self.pop_mark()?;
                    self.add_items(items, true)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![(k, v)])?;
                }
                b'u' => {
                    let pairs = Self::pairs(self.pop_mark()?)?;
                    self.set_items(pairs)?;
                }
                b'c' => {
                    // GLOBAL: module and name, each on its own line.
                    let module = fix_module(r.line()?);
                    let name = r.line()?;
                    self.push(Node::Global(format!("{module}.{name}")));
                }
                0x93 => {
                    // STACK_GLOBAL
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let global = format!(
                        "{}.{}",
                        fix_module(self.str_of(module)?),
                        self.str_of(name)?
                    );
                    self.push(Node::Global(global));
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let args = self.tuple_of(args)?;
                    let node = self.reduce(callable, args)?;
                    self.push(node);
                }
                0x81 | 0x92 => {
                    // NEWOBJ: cls.__new__(cls, *args); NEWOBJ_EX with kwargs too.
                    let kwargs = if op == 0x92 {
                        let kwargs = self.pop()?;
                        match &self.arena[kwargs] {
                            Node::Dict(pairs) => pairs.clone(),
                            _ => return None,
                        }
                    } else {
                        Vec::new()
                    };
                    let args = self.pop()?;
                    let args = self.tuple_of(args)?;
                    let class = self.pop()?;
                    let Node::Global(class) = &self.arena[class] else {
                        return None;
                    };
                    let class = class.clone();
                    self.push(Node::Object(Object {
                        class,
                        args,
                        kwargs,
                        ..Object::default()
                    }));
                }
                b'b' => {
                    // BUILD: the state (`__dict__`, or `(dict, slots)`) of the object
                    // below it.
                    let state = self.pop()?;
                    let top = self.top()?;
                    match &mut self.arena[top] {
                        Node::Object(o) => o.state.push(state),
                        _ => return None,
                    }
                }
                // PERSID, BINPERSID, EXT1/2/4, NEXT_BUFFER, READONLY_BUFFER, INST, OBJ,
                // STRING, UNICODE and anything unknown: not shown.
                _ => return None,
            }
        }
    }
}
