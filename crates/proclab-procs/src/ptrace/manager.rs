//! A `multiprocessing` Manager's traffic, read as what the program did. Every proxy
//! call (`d[k] = v`, `l.append(x)`, `lock.acquire()`, `num.value += 1`) is a request
//! `(id, method, args, kwargs)` the caller sends to the Manager's server process over a
//! Connection, and a reply `('#RETURN', result)` (or `'#ERROR'`) back. Both are
//! decoded messages already (`framing.rs`); this names them as the program wrote them,
//! names each shared object by the type the server made it as (`dict#6940`, from the
//! `create` call and its reply), says what the authentication handshake is, and marks
//! the process that answers requests as the Manager's server (a `role` value the tree
//! shows as its label). Nothing is guessed: a message that does not have these shapes
//! is shown as it was.

use std::collections::{HashMap, HashSet};

use super::framing::Message;

/// Which stream of a process: (process, channel inode).
type End = (i32, u64);

#[derive(Default)]
pub struct Manager {
    /// A `create(typeid)` sent on this end, waiting for its reply there.
    creating: HashMap<End, String>,
    /// Shared objects' ids → the type the server made them as.
    types: HashMap<String, String>,
    /// Ends that received a challenge: the next message they send is the answer.
    challenged: HashSet<End>,
    /// Ends that sent a challenge: the next message they receive is the answer.
    challenging: HashSet<End>,
    /// Processes already said to be a Manager's server.
    servers: HashSet<i32>,
}

/// What a message means, and whether its process acts as a Manager's server.
pub struct Read {
    pub repr: Option<String>,
    pub server: bool,
}

impl Manager {
    /// `m` went through `end` (`sent`: written by the process, else read by it).
    pub fn read(&mut self, end: End, sent: bool, m: &Message) -> Option<Read> {
        if let Some(repr) = m.repr.as_deref()
            && let Some(said) = self.handshake(end, sent, repr)
        {
            return Some(Read {
                repr: Some(said),
                server: false,
            });
        }
        let parts = &m.parts;
        match parts.len() {
            4 if is_str(&parts[1].0) && (parts[0].0 == "None" || is_str(&parts[0].0)) => {
                let said = self.request(end, parts);
                let server = !sent && self.servers.insert(end.0);
                Some(Read {
                    repr: Some(said),
                    server,
                })
            }
            2 if parts[0].0.starts_with("'#") => {
                let said = self.reply(end, parts)?;
                let server = sent && self.servers.insert(end.0);
                Some(Read {
                    repr: Some(said),
                    server,
                })
            }
            _ => None,
        }
    }

    fn handshake(&mut self, end: End, sent: bool, repr: &str) -> Option<String> {
        if repr.starts_with("b'#CHALLENGE#") || repr.starts_with("b\"#CHALLENGE#") {
            if sent {
                self.challenging.insert(end);
            } else {
                self.challenged.insert(end);
            }
            return Some(
                "#CHALLENGE# (authentication: random bytes to sign with the authkey)".into(),
            );
        }
        if repr == "b'#WELCOME#'" {
            return Some("#WELCOME# (authenticated)".into());
        }
        if repr == "b'#FAILURE#'" {
            return Some("#FAILURE# (authentication failed)".into());
        }
        let answer = if sent {
            self.challenged.remove(&end)
        } else {
            self.challenging.remove(&end)
        };
        if answer && repr.starts_with('b') {
            return Some(format!("{repr} (authentication: the challenge signed)"));
        }
        None
    }

    /// `(id, method, args, kwargs)`.
    fn request(&mut self, end: End, parts: &[(String, Vec<String>)]) -> String {
        let method = unquote(&parts[1].0);
        let args = &parts[2].1;
        let kwargs = match parts[3].0.as_str() {
            "{}" => String::new(),
            k => format!("**{k}"),
        };
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        if !kwargs.is_empty() {
            all.push(&kwargs);
        }
        let call = all.join(", ");
        if parts[0].0 == "None" {
            // A call to the manager itself (create, incref, decref, shutdown, …).
            // Both ends name what the create makes: the caller and the server.
            if method == "create"
                && let Some(typeid) = args.first()
            {
                self.creating.insert(end, unquote(typeid));
            }
            return format!("manager.{method}({call})");
        }
        let target = self.name(&unquote(&parts[0].0));
        match (method.as_str(), args.as_slice()) {
            ("__setitem__", [k, v]) => format!("{target}[{k}] = {v}"),
            ("__getitem__", [k]) => format!("{target}[{k}]"),
            ("__delitem__", [k]) => format!("del {target}[{k}]"),
            ("__len__", []) => format!("len({target})"),
            ("__contains__", [k]) => format!("{k} in {target}"),
            ("get", []) if target.starts_with("Value#") => format!("{target}.value"),
            ("set", [v]) if target.starts_with("Value#") => format!("{target}.value = {v}"),
            _ => format!("{target}.{method}({call})"),
        }
    }

    /// `('#RETURN', result)`, `('#ERROR', exception)`, …
    fn reply(&mut self, end: End, parts: &[(String, Vec<String>)]) -> Option<String> {
        let (what, value) = (unquote(&parts[0].0), &parts[1]);
        Some(match what.as_str() {
            "#RETURN" => {
                // The reply to a create: (id, exposed methods) names a new shared object.
                if let Some(typeid) = self.creating.remove(&end)
                    && let Some(id) = value.1.first().filter(|i| is_str(i))
                {
                    let id = unquote(id);
                    self.types.insert(id.clone(), typeid.clone());
                    return Some(format!(
                        "returned {} (a new shared {typeid})",
                        self.name(&id)
                    ));
                }
                format!("returned {}", value.0)
            }
            "#ERROR" => format!("raised {}", value.0),
            "#TRACEBACK" => "raised (a traceback, as text)".into(),
            "#UNSERIALIZABLE" => format!("could not pickle the result: {}", value.0),
            _ => return None,
        })
    }

    /// A shared object by its type and the end of its id: `dict#6940`.
    fn name(&self, id: &str) -> String {
        let tail = &id[id.len().saturating_sub(4)..];
        match self.types.get(id) {
            Some(t) => format!("{t}#{tail}"),
            None => format!("object#{tail}"),
        }
    }
}

fn is_str(repr: &str) -> bool {
    repr.len() >= 2 && (repr.starts_with('\'') || repr.starts_with('"'))
}

/// The text of a plain string's repr (no escapes inside: ids, method and type names).
fn unquote(repr: &str) -> String {
    if is_str(repr) {
        repr[1..repr.len() - 1].to_string()
    } else {
        repr.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(parts: &[(&str, &[&str])]) -> Message {
        Message {
            item: serde_json::Value::Null,
            repr: Some(String::new()),
            parts: parts
                .iter()
                .map(|(r, items)| (r.to_string(), items.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }

    #[test]
    fn calls_read_as_the_program_wrote_them() {
        let mut m = Manager::default();
        let (client, server) = ((1, 10), (2, 20));
        let create = msg(&[
            ("None", &[]),
            ("'create'", &[]),
            ("('dict',)", &["'dict'"]),
            ("{}", &[]),
        ]);
        let r = m.read(client, true, &create).expect("a request");
        assert_eq!(r.repr.as_deref(), Some("manager.create('dict')"));
        assert!(!r.server, "the caller is no server");
        let r = m.read(server, false, &create).expect("a request");
        assert!(r.server, "who receives requests is the server");
        assert!(
            !m.read(server, false, &create).expect("again").server,
            "said once"
        );
        let made = msg(&[
            ("'#RETURN'", &[]),
            (
                "('7f7d244b6940', ('__getitem__',))",
                &["'7f7d244b6940'", "('__getitem__',)"],
            ),
        ]);
        // The server's own reply names it too, and so does the caller's receipt.
        let r = m.read(server, true, &made).expect("a reply");
        assert_eq!(
            r.repr.as_deref(),
            Some("returned dict#6940 (a new shared dict)")
        );
        let r = m.read(client, false, &made).expect("a reply");
        assert_eq!(
            r.repr.as_deref(),
            Some("returned dict#6940 (a new shared dict)")
        );
        let set = msg(&[
            ("'7f7d244b6940'", &[]),
            ("'__setitem__'", &[]),
            ("('k', 1)", &["'k'", "1"]),
            ("{}", &[]),
        ]);
        assert_eq!(
            m.read(client, true, &set).and_then(|r| r.repr).as_deref(),
            Some("dict#6940['k'] = 1")
        );
        let append = msg(&[
            ("'7f7d00006c80'", &[]),
            ("'append'", &[]),
            ("(5,)", &["5"]),
            ("{}", &[]),
        ]);
        assert_eq!(
            m.read(client, true, &append)
                .and_then(|r| r.repr)
                .as_deref(),
            Some("object#6c80.append(5)")
        );
        let err = msg(&[
            ("'#ERROR'", &[]),
            ("builtins.IndexError('list index out of range')", &[]),
        ]);
        assert_eq!(
            m.read(client, false, &err).and_then(|r| r.repr).as_deref(),
            Some("raised builtins.IndexError('list index out of range')")
        );
        // Not a Manager's shape: left as it was.
        assert!(
            m.read(client, true, &msg(&[("1", &[]), ("2", &[])]))
                .is_none()
        );
    }

    #[test]
    fn the_handshake_is_named() {
        let mut m = Manager::default();
        let bytes = |r: &str| Message {
            item: serde_json::Value::Null,
            repr: Some(r.into()),
            parts: Vec::new(),
        };
        let said = |m: &mut Manager, end, sent, r: &str| {
            m.read(end, sent, &bytes(r))
                .and_then(|x| x.repr)
                .unwrap_or_default()
        };
        assert!(said(&mut m, (1, 1), false, "b'#CHALLENGE#\\x01'").starts_with("#CHALLENGE#"));
        assert!(
            said(&mut m, (1, 1), true, "b'\\x05\\xa4'")
                .ends_with("(authentication: the challenge signed)")
        );
        assert_eq!(
            said(&mut m, (1, 1), true, "b'\\x05\\xa4'"),
            "",
            "only the first answer is one"
        );
        assert_eq!(
            said(&mut m, (2, 2), false, "b'#WELCOME#'"),
            "#WELCOME# (authenticated)"
        );
        // The side that sent the challenge receives the answer.
        assert!(said(&mut m, (3, 3), true, "b'#CHALLENGE#\\x02'").starts_with("#CHALLENGE#"));
        assert!(said(&mut m, (3, 3), false, "b'\\x80\\x01'").ends_with("the challenge signed)"));
    }
}
