use super::*;

fn ev(t_us: u64, pid: i32, kind: EventKind) -> Event {
    Event { t_us, pid, kind }
}

fn spawn(t: u64, pid: i32, ppid: i32, label: &str) -> Event {
    ev(
        t,
        pid,
        EventKind::Spawn {
            ppid,
            label: label.into(),
            start: None,
        },
    )
}

fn reap(t: u64, parent: i32, child: i32, status: i32) -> Event {
    let (code, signal) = if status & 0x7f == 0 {
        (Some(status >> 8), None)
    } else {
        (None, Some("SIGTERM".to_string()))
    };
    ev(
        t,
        parent,
        EventKind::Reap {
            child,
            status,
            code,
            signal,
        },
    )
}

fn of<'a>(doc: &'a Value, ph: &str) -> Vec<&'a Value> {
    doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ph"] == ph)
        .collect()
}

/// main 10 forks 11 (exits, zombie, reaped) and 12 (SIGTERM'd); 11 puts on a queue,
/// main gets; 12 holds a lock after waiting; front end 9.
fn sample() -> Vec<Event> {
    vec![
        ev(
            0,
            9,
            EventKind::Run {
                scenario: "queue".into(),
                params: Default::default(),
                lesson: None,
            },
        ),
        spawn(10, 10, 9, "main"),
        spawn(20, 11, 10, "child 0"),
        spawn(25, 12, 10, "child 1"),
        ev(
            30,
            11,
            EventKind::QueuePut {
                queue: "q".into(),
                item: json!(1),
                len: 1,
            },
        ),
        ev(
            35,
            11,
            EventKind::QueuePut {
                queue: "q".into(),
                item: json!(2),
                len: 2,
            },
        ),
        ev(
            40,
            10,
            EventKind::QueueGet {
                queue: "q".into(),
                item: json!(2),
                len: 1,
            },
        ),
        ev(
            50,
            12,
            EventKind::LockAcquire {
                lock: "lock".into(),
                waited_us: 20,
            },
        ),
        ev(
            60,
            12,
            EventKind::LockRelease {
                lock: "lock".into(),
                waited_us: 20,
                held_us: 10,
            },
        ),
        ev(70, 11, EventKind::Exit { code: 0 }),
        ev(
            75,
            10,
            EventKind::SendSignal {
                target: 12,
                signal: "SIGTERM".into(),
            },
        ),
        ev(
            80,
            12,
            EventKind::HandleSignal {
                signal: "SIGTERM".into(),
                action: "default".into(),
                sender: None,
                cause: None,
            },
        ),
        reap(90, 10, 11, 0),
        reap(95, 10, 12, 15),
        ev(99, 10, EventKind::Exit { code: 0 }),
        reap(100, 9, 10, 0),
    ]
}

#[test]
fn one_named_track_per_process_and_a_life_slice_each() {
    let doc = chrome(&sample());
    let names: Vec<&Value> = of(&doc, "M")
        .into_iter()
        .filter(|m| m["name"] == "process_name")
        .collect();
    assert_eq!(
        names.len(),
        3,
        "main and two children; the front end sent nothing"
    );
    assert_eq!(names[0]["args"]["name"], "main (10)");
    let lives: Vec<&Value> = of(&doc, "X")
        .into_iter()
        .filter(|x| x["cat"] == "process")
        .collect();
    assert_eq!(lives.len(), 3);
    let child0 = lives.iter().find(|x| x["pid"] == 11).unwrap();
    assert_eq!(
        (child0["ts"].as_u64(), child0["dur"].as_u64()),
        (Some(20), Some(70))
    );
    assert_eq!(child0["args"]["exit code"], 0);
    let child1 = lives.iter().find(|x| x["pid"] == 12).unwrap();
    assert_eq!(child1["args"]["killed by"], "SIGTERM");
    let zombie: Vec<&Value> = of(&doc, "X")
        .into_iter()
        .filter(|x| x["cat"] == "zombie" && x["pid"] == 11)
        .collect();
    assert_eq!(zombie.len(), 1);
    assert_eq!(
        (zombie[0]["ts"].as_u64(), zombie[0]["dur"].as_u64()),
        (Some(70), Some(20))
    );
    assert_eq!(doc["otherData"]["scenario"], "queue");
}

#[test]
fn locks_are_slices_with_their_wait() {
    let doc = chrome(&sample());
    let locks: Vec<(String, u64, u64)> = of(&doc, "X")
        .into_iter()
        .filter(|x| x["cat"] == "lock")
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_string(),
                x["ts"].as_u64().unwrap(),
                x["dur"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        locks,
        vec![
            ("waits for lock".into(), 30, 20),
            ("holds lock".into(), 50, 10)
        ]
    );
}

#[test]
fn flows_pair_queue_items_and_signals() {
    let doc = chrome(&sample());
    let starts = of(&doc, "s");
    let ends = of(&doc, "f");
    assert_eq!(
        starts.len(),
        2,
        "one queue item got, one signal: {starts:?}"
    );
    assert_eq!(ends.len(), 2);
    for s in &starts {
        let f = ends.iter().find(|f| f["id"] == s["id"]).unwrap();
        assert!(s["ts"].as_u64() <= f["ts"].as_u64());
        assert_eq!(s["name"], f["name"]);
    }
    let item = starts.iter().find(|s| s["cat"] == "queue").unwrap();
    assert_eq!(
        item["ts"], 35,
        "the get of 2 pairs with the put of 2, not of 1"
    );
    let signal = starts.iter().find(|s| s["cat"] == "signal").unwrap();
    let end = ends.iter().find(|f| f["id"] == signal["id"]).unwrap();
    assert_eq!(
        (end["pid"].as_i64(), end["ts"].as_u64()),
        (Some(12), Some(80))
    );
    assert_eq!(end["bp"], "e");
}

#[test]
fn a_signal_from_the_front_end_gives_it_a_track() {
    let mut events = sample();
    events.insert(
        5,
        ev(
            32,
            9,
            EventKind::SendSignal {
                target: 11,
                signal: "SIGSTOP".into(),
            },
        ),
    );
    events.insert(
        6,
        ev(
            33,
            11,
            EventKind::State {
                state: "T".into(),
                reason: "stopped".into(),
                cpu: None,
                ignored: vec![],
                caught: vec![],
                core: None,
            },
        ),
    );
    let doc = chrome(&events);
    let names = of(&doc, "M")
        .into_iter()
        .filter(|m| m["name"] == "process_name")
        .count();
    assert_eq!(names, 4);
    let stop = of(&doc, "f")
        .into_iter()
        .find(|f| f["name"] == "SIGSTOP")
        .unwrap()
        .clone();
    assert_eq!(stop["ts"], 33);
}

#[test]
fn pipe_messages_pair_send_with_recv() {
    let events = vec![
        spawn(0, 1, 0, "main"),
        spawn(1, 2, 1, "child"),
        ev(
            5,
            1,
            EventKind::Send {
                channel: "parent_conn".into(),
                item: json!("ping 0"),
                repr: None,
            },
        ),
        ev(
            9,
            2,
            EventKind::Recv {
                channel: "child_conn".into(),
                item: json!("ping 0"),
                repr: None,
            },
        ),
        ev(
            12,
            1,
            EventKind::Recv {
                channel: "parent_conn".into(),
                item: json!("never sent"),
                repr: None,
            },
        ),
    ];
    let doc = chrome(&events);
    assert_eq!(of(&doc, "s").len(), 1);
    let f = of(&doc, "f");
    assert_eq!(
        (f[0]["pid"].as_i64(), f[0]["ts"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(
        default_output(Path::new("a/run.jsonl")),
        PathBuf::from("a/run.json")
    );
    assert_eq!(
        default_output(Path::new("run.json")),
        PathBuf::from("run.chrome.json")
    );
}
