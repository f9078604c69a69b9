//! The decoded object graph written out: as Python's `repr()` prints it, and as JSON.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{Id, MAX_DEPTH, MAX_REPR, Node, Object, Pickled};
use crate::pyrepr::{float_repr, write_bytes_repr as bytes_repr, write_str_repr as str_repr};

pub(super) fn render(arena: &[Node], root: Id) -> Option<Pickled> {
    let repr = repr_of(arena, root, 0)?;
    // Every node writes at least one character of the repr, so the JSON is bounded by
    // the same limit.
    let value = Json {
        arena,
        open: Vec::new(),
    }
    .node(root, 0)?;
    let items = |id: Id| match &arena[id] {
        Node::Tuple(ids) => ids.iter().map(|i| repr_of(arena, *i, 1)).collect(),
        _ => Some(Vec::new()),
    };
    let parts = match &arena[root] {
        Node::Tuple(ids) => ids
            .iter()
            .map(|i| Some((repr_of(arena, *i, 1)?, items(*i)?)))
            .collect::<Option<Vec<_>>>()?,
        _ => Vec::new(),
    };
    Some(Pickled { value, repr, parts })
}

fn repr_of(arena: &[Node], id: Id, depth: usize) -> Option<String> {
    let mut r = Repr {
        arena,
        out: String::new(),
        open: Vec::new(),
    };
    r.node(id, depth)?;
    Some(r.out)
}

struct Repr<'a> {
    arena: &'a [Node],
    out: String,
    /// The containers being written, outermost first: one met again is a cycle,
    /// written as Python does (`[...]`).
    open: Vec<Id>,
}

impl Repr<'_> {
    fn node(&mut self, id: Id, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH || self.out.len() > MAX_REPR {
            return None;
        }
        let arena = self.arena;
        let node = arena.get(id)?;
        match node {
            Node::None => self.out.push_str("None"),
            Node::Bool(true) => self.out.push_str("True"),
            Node::Bool(false) => self.out.push_str("False"),
            Node::Int(v) => write!(self.out, "{v}").ok()?,
            Node::Big(v) => write!(self.out, "{v}").ok()?,
            Node::Huge(n) => write!(self.out, "<int of {n} bytes>").ok()?,
            Node::Float(f) => self.out.push_str(&float_repr(*f)),
            Node::Str(s) => str_repr(s, &mut self.out),
            Node::Bytes(b) => bytes_repr(b, &mut self.out, false),
            Node::ByteArray(b) => {
                self.out.push_str("bytearray(");
                bytes_repr(b, &mut self.out, true);
                self.out.push(')');
            }
            Node::Global(name) => write!(self.out, "<{name}>").ok()?,
            _ if self.open.contains(&id) => self.out.push_str(match node {
                Node::List(_) => "[...]",
                Node::Tuple(_) => "(...)",
                Node::Dict(_) => "{...}",
                Node::Set(_) => "set(...)",
                Node::FrozenSet(_) => "frozenset(...)",
                _ => "...",
            }),
            _ => {
                self.open.push(id);
                self.container(node, depth + 1)?;
                self.open.pop();
            }
        }
        Some(())
    }

    fn container(&mut self, node: &Node, depth: usize) -> Option<()> {
        match node {
            Node::List(items) => self.seq("[", items, "]", depth),
            Node::Tuple(items) if items.len() == 1 => self.seq("(", items, ",)", depth),
            Node::Tuple(items) => self.seq("(", items, ")", depth),
            Node::Set(items) if items.is_empty() => {
                self.out.push_str("set()");
                Some(())
            }
            Node::Set(items) => self.seq("{", items, "}", depth),
            Node::FrozenSet(items) if items.is_empty() => {
                self.out.push_str("frozenset()");
                Some(())
            }
            Node::FrozenSet(items) => self.seq("frozenset({", items, "})", depth),
            Node::Dict(pairs) => self.dict(pairs, depth),
            Node::Object(o) => self.object(o, depth),
            _ => None,
        }
    }

    fn seq(&mut self, open: &str, items: &[Id], close: &str, depth: usize) -> Option<()> {
        self.out.push_str(open);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.node(*item, depth)?;
        }
        self.out.push_str(close);
        Some(())
    }

    fn dict(&mut self, pairs: &[(Id, Id)], depth: usize) -> Option<()> {
        self.out.push('{');
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.node(*k, depth)?;
            self.out.push_str(": ");
            self.node(*v, depth)?;
        }
        self.out.push('}');
        Some(())
    }

    /// `module.Class(args, key=value, …)`: the arguments it was made with, then its
    /// state as `name=value` (a `__dict__`, or `(__dict__, slots)`), then items that
    /// APPENDS / SETITEMS gave it as a list / dict.
    fn object(&mut self, o: &Object, depth: usize) -> Option<()> {
        let arena = self.arena;
        // `list(a_list)` (how a Manager's server pickles some results) is that list:
        // Python prints it so.
        if o.class == "builtins.list"
            && o.kwargs.is_empty()
            && o.state.is_empty()
            && o.items.is_empty()
            && o.dict_items.is_empty()
            && let [a] = o.args[..]
            && matches!(arena.get(a), Some(Node::List(_)))
        {
            return self.node(a, depth);
        }
        write!(self.out, "{}(", o.class).ok()?;
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push_str(", ");
            }
        };
        for a in &o.args {
            sep(&mut self.out);
            self.node(*a, depth)?;
        }
        let mut named: Vec<(Id, Id)> = o.kwargs.clone();
        let mut other = Vec::new();
        for s in &o.state {
            match arena.get(*s)? {
                Node::Dict(pairs) => named.extend(pairs),
                Node::Tuple(parts)
                    if parts.len() == 2
                        && parts
                            .iter()
                            .all(|p| matches!(arena.get(*p), Some(Node::Dict(_) | Node::None))) =>
                {
                    for p in parts {
                        if let Some(Node::Dict(pairs)) = arena.get(*p) {
                            named.extend(pairs);
                        }
                    }
                }
                _ => other.push(*s),
            }
        }
        for (k, v) in named {
            sep(&mut self.out);
            match arena.get(k)? {
                Node::Str(name) => self.out.push_str(name),
                _ => self.node(k, depth)?,
            }
            self.out.push('=');
            self.node(v, depth)?;
        }
        for s in other {
            sep(&mut self.out);
            self.out.push_str("state=");
            self.node(s, depth)?;
        }
        if !o.items.is_empty() {
            sep(&mut self.out);
            self.seq("[", &o.items, "]", depth)?;
        }
        if !o.dict_items.is_empty() {
            sep(&mut self.out);
            self.dict(&o.dict_items, depth)?;
        }
        self.out.push(')');
        Some(())
    }
}

struct Json<'a> {
    arena: &'a [Node],
    open: Vec<Id>,
}

impl Json<'_> {
    fn node(&mut self, id: Id, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let arena = self.arena;
        let node = arena.get(id)?;
        let leaf = || repr_of(arena, id, depth).map(Value::String);
        Some(match node {
            Node::None => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(v) => Value::from(*v),
            Node::Big(v) => match u64::try_from(v) {
                Ok(u) => Value::from(u),
                Err(_) => Value::String(v.to_string()),
            },
            Node::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None => Value::String(float_repr(*f)),
            },
            Node::Str(s) => Value::String(s.clone()),
            Node::Huge(_) | Node::Bytes(_) | Node::ByteArray(_) | Node::Global(_) => leaf()?,
            _ if self.open.contains(&id) => leaf()?,
            _ => {
                self.open.push(id);
                let v = self.container(node, depth + 1)?;
                self.open.pop();
                v
            }
        })
    }

    fn container(&mut self, node: &Node, depth: usize) -> Option<Value> {
        match node {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                self.array(items, depth)
            }
            Node::Dict(pairs) => {
                let mut map = Map::new();
                self.insert(&mut map, pairs, depth)?;
                Some(Value::Object(map))
            }
            Node::Object(o) => {
                let mut map = Map::new();
                map.insert("__class__".into(), Value::String(o.class.clone()));
                if !o.args.is_empty() {
                    map.insert("__args__".into(), self.array(&o.args, depth)?);
                }
                self.insert(&mut map, &o.kwargs, depth)?;
                for s in &o.state {
                    match self.arena.get(*s)? {
                        Node::Dict(pairs) => self.insert(&mut map, pairs, depth)?,
                        _ => {
                            let v = self.node(*s, depth)?;
                            map.insert("__state__".into(), v);
                        }
                    }
                }
                if !o.items.is_empty() {
                    map.insert("__items__".into(), self.array(&o.items, depth)?);
                }
                self.insert(&mut map, &o.dict_items, depth)?;
                Some(Value::Object(map))
            }
            _ => None,
        }
    }

    fn array(&mut self, items: &[Id], depth: usize) -> Option<Value> {
        items
            .iter()
            .map(|i| self.node(*i, depth))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
    }

    /// Dict entries: a string key as itself, any other as its repr.
    fn insert(
        &mut self,
        map: &mut Map<String, Value>,
        pairs: &[(Id, Id)],
        depth: usize,
    ) -> Option<()> {
        for (k, v) in pairs {
            let key = match self.arena.get(*k)? {
                Node::Str(s) => s.clone(),
                _ => repr_of(self.arena, *k, depth)?,
            };
            let v = self.node(*v, depth)?;
            map.insert(key, v);
        }
        Some(())
    }
}
