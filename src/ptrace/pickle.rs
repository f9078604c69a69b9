//! Just enough of Python's pickle format to show what a `multiprocessing` Queue or
//! Connection carries when it is a plain value: ints, floats, strings, bytes, None,
//! booleans, tuples, lists and dicts of them (protocols 2–5). Anything else (objects,
//! functions) is not decoded: the caller shows its size instead.

use serde_json::{Map, Value};

enum Item {
    Mark,
    Value(Value),
}

/// Decodes `data` (one pickle, from its PROTO opcode to STOP), or `None`.
pub fn decode(data: &[u8]) -> Option<Value> {
    let mut stack: Vec<Item> = Vec::new();
    let mut memo: Vec<Value> = Vec::new();
    let mut i = 0;
    let take = |i: &mut usize, n: usize| -> Option<&[u8]> {
        // A length read from the traced program's bytes: it may be anything.
        let s = data.get(*i..i.checked_add(n)?)?;
        *i += n;
        Some(s)
    };
    let le = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
    };
    let pop = |stack: &mut Vec<Item>| match stack.pop() {
        Some(Item::Value(v)) => Some(v),
        _ => None,
    };
    let since_mark = |stack: &mut Vec<Item>| -> Option<Vec<Value>> {
        let at = stack.iter().rposition(|x| matches!(x, Item::Mark))?;
        let items = stack.split_off(at + 1);
        stack.pop();
        items
            .into_iter()
            .map(|x| match x {
                Item::Value(v) => Some(v),
                Item::Mark => None,
            })
            .collect()
    };
    loop {
        let op = *data.get(i)?;
        i += 1;
        let value = match op {
            0x80 => {
                take(&mut i, 1)?;
                continue;
            }
            0x95 => {
                take(&mut i, 8)?; // FRAME
                continue;
            }
            0x94 => {
                // MEMOIZE
                let top = match stack.last()? {
                    Item::Value(v) => v.clone(),
                    Item::Mark => return None,
                };
                memo.push(top);
                continue;
            }
            b'h' => memo.get(usize::from(take(&mut i, 1)?[0]))?.clone(),
            b'.' => return pop(&mut stack).filter(|_| stack.is_empty()),
            b'(' => {
                stack.push(Item::Mark);
                continue;
            }
            b'N' => Value::Null,
            0x88 => Value::Bool(true),
            0x89 => Value::Bool(false),
            b'K' => Value::from(take(&mut i, 1)?[0]),
            b'M' => Value::from(le(take(&mut i, 2)?)),
            b'J' => Value::from(i32::from_le_bytes(take(&mut i, 4)?.try_into().ok()?)),
            0x8a => {
                // LONG1: a little-endian two's complement integer of n bytes.
                let n = usize::from(take(&mut i, 1)?[0]);
                let b = take(&mut i, n)?;
                if n > 8 {
                    return None;
                }
                let mut v = le(b) as i64;
                if n > 0 && n < 8 && b[n - 1] & 0x80 != 0 {
                    v -= 1i64 << (8 * n);
                }
                Value::from(v)
            }
            b'G' => Value::from(f64::from_be_bytes(take(&mut i, 8)?.try_into().ok()?)),
            0x8c | b'X' | 0x8d | b'C' | b'B' | 0x8e => {
                let n = match op {
                    0x8c | b'C' => usize::from(take(&mut i, 1)?[0]),
                    b'X' | b'B' => le(take(&mut i, 4)?) as usize,
                    _ => le(take(&mut i, 8)?) as usize,
                };
                let b = take(&mut i, n)?;
                match op {
                    0x8c | b'X' | 0x8d => Value::from(std::str::from_utf8(b).ok()?),
                    _ => Value::from(format!("b{:?}", String::from_utf8_lossy(b))),
                }
            }
            b')' => Value::Array(Vec::new()),
            b']' => Value::Array(Vec::new()),
            b'}' => Value::Object(Map::new()),
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(pop(&mut stack)?);
                }
                items.reverse();
                Value::Array(items)
            }
            b't' => Value::Array(since_mark(&mut stack)?),
            b'a' => {
                let v = pop(&mut stack)?;
                match stack.last_mut()? {
                    Item::Value(Value::Array(list)) => list.push(v),
                    _ => return None,
                }
                continue;
            }
            b'e' => {
                let items = since_mark(&mut stack)?;
                match stack.last_mut()? {
                    Item::Value(Value::Array(list)) => list.extend(items),
                    _ => return None,
                }
                continue;
            }
            b's' | b'u' => {
                let items = if op == b's' {
                    let v = pop(&mut stack)?;
                    let k = pop(&mut stack)?;
                    vec![k, v]
                } else {
                    since_mark(&mut stack)?
                };
                let Some(Item::Value(Value::Object(map))) = stack.last_mut() else {
                    return None;
                };
                for pair in items.chunks(2) {
                    let key = match &pair[0] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    map.insert(key, pair.get(1)?.clone());
                }
                continue;
            }
            _ => return None,
        };
        stack.push(Item::Value(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_values_decode() {
        // pickle.dumps(..., protocol=4) under CPython 3.11.
        assert_eq!(decode(b"\x80\x04K\x05."), Some(json!(5)));
        assert_eq!(decode(b"\x80\x04N."), Some(json!(null)));
        assert_eq!(
            decode(b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello\x94."),
            Some(json!("hello"))
        );
        assert_eq!(
            decode(b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00K\x01\x8c\x01a\x94\x86\x94."),
            Some(json!([1, "a"]))
        );
        assert_eq!(
            decode(b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02K\x03e."),
            Some(json!([1, 2, 3]))
        );
        assert_eq!(decode(b"\x80\x04\x8a\x01\xff."), Some(json!(-1)));
        assert_eq!(decode(b"\x80\x04J\xff\xff\xff\xff."), Some(json!(-1)));
        assert_eq!(
            decode(b"\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01k\x94K\x01s."),
            Some(json!({"k": 1}))
        );
        assert_eq!(
            decode(b"\x80\x04J\x00\xe1\xf5\x05."),
            Some(json!(100_000_000))
        );
        assert_eq!(decode(b"\x80\x04\x95\x00c__main__\nX\n."), None);
    }

    #[test]
    fn a_huge_length_from_the_program_is_refused_not_a_panic() {
        // PROTO 4, then FRAME with an 8-byte length of 2^64 - 1.
        let data = [
            0x80, 4, 0x95, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        assert_eq!(decode(&data), None);
        let data = [
            0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ];
        assert_eq!(decode(&data), None);
    }
}
