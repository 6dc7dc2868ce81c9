//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a
//! response carries. Names are case-insensitive, `parent.sub` reaches a sub-attribute, and an
//! extension's attributes are named under its URN (`urn:…:enterprise:2.0:User:department`).

use serde_json::{Map, Value};

/// The attributes a response asks for or leaves out; both empty returns the default set.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

/// A name resolved against one resource: the extension it lives in (if any), then its path.
struct Name {
    extension: Option<String>,
    path: Vec<String>,
}

impl Projection {
    /// From the comma-separated query parameters (or a search request's arrays, joined).
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Projection {
        let split = |raw: Option<&str>| -> Vec<String> {
            raw.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        };
        Projection {
            attributes: split(attributes),
            excluded: split(excluded),
        }
    }

    /// From a SearchRequest body's `attributes` / `excludedAttributes` arrays.
    pub fn from_search(body: &Value) -> Projection {
        let join = |key: &str| -> Option<String> {
            body.get(key).and_then(Value::as_array).map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            })
        };
        Projection::new(
            join("attributes").as_deref(),
            join("excludedAttributes").as_deref(),
        )
    }

    /// Apply to a rendered resource; `always` names what is returned regardless (`id`,
    /// `schemas` and the resource's own "returned: always" attributes).
    pub fn apply(&self, resource: &mut Value, always: &[&str]) {
        let Value::Object(object) = resource else {
            return;
        };
        let is_always = |name: &Name| {
            name.extension.is_none()
                && name.path.len() == 1
                && ["id", "schemas"]
                    .iter()
                    .chain(always)
                    .any(|a| a.eq_ignore_ascii_case(&name.path[0]))
        };
        if !self.attributes.is_empty() {
            let mut kept = Map::new();
            for (key, value) in object.iter() {
                let whole = Name {
                    extension: None,
                    path: vec![key.clone()],
                };
                if is_always(&whole) {
                    kept.insert(key.clone(), value.clone());
                }
            }
            for raw in &self.attributes {
                let name = resolve(object, raw);
                copy(object, &mut kept, &name);
            }
            *object = kept;
        }
        for raw in &self.excluded {
            let name = resolve(object, raw);
            if !is_always(&name) {
                remove(object, &name);
            }
        }
    }
}

/// The key of `object` equal to `name` ignoring case.
fn key_of(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
}

fn resolve(object: &Map<String, Value>, raw: &str) -> Name {
    let extension = object.keys().filter(|k| k.starts_with("urn:")).find(|k| {
        raw.len() >= k.len()
            && raw[..k.len()].eq_ignore_ascii_case(k)
            && (raw.len() == k.len() || raw.as_bytes()[k.len()] == b':')
    });
    // Core-schema attributes may be qualified too: `urn:…:core:2.0:User:userName`.
    let core = [
        "urn:ietf:params:scim:schemas:core:2.0:User:",
        "urn:ietf:params:scim:schemas:core:2.0:Group:",
    ]
    .into_iter()
    .find(|prefix| raw.len() > prefix.len() && raw[..prefix.len()].eq_ignore_ascii_case(prefix));
    let rest = match (extension, core) {
        (Some(key), _) => raw[key.len()..].trim_start_matches(':'),
        (None, Some(prefix)) => &raw[prefix.len()..],
        (None, None) => raw,
    };
    Name {
        extension: extension.cloned(),
        path: rest
            .split('.')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// Copy what `name` designates from `from` into `into`.
fn copy(from: &Map<String, Value>, into: &mut Map<String, Value>, name: &Name) {
    let (source, target) = match name.extension.as_deref() {
        Some(extension) => {
            let Some(Value::Object(source)) = from.get(extension) else {
                return;
            };
            let target = into
                .entry(extension.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if name.path.is_empty() {
                *target = Value::Object(source.clone());
                return;
            }
            match target {
                Value::Object(target) => (source, target),
                _ => return,
            }
        }
        None => (from, into),
    };
    let Some(first) = name.path.first().and_then(|p| key_of(source, p)) else {
        return;
    };
    match (name.path.get(1), &source[&first]) {
        (None, value) => {
            target.insert(first, value.clone());
        }
        (Some(sub), Value::Object(inner)) => {
            if let Some(sub_key) = key_of(inner, sub) {
                if let Value::Object(kept) = target
                    .entry(first)
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    kept.insert(sub_key.clone(), inner[&sub_key].clone());
                }
            }
        }
        (Some(sub), Value::Array(items)) => {
            // A sub-attribute of a multi-valued attribute: that sub-attribute of every value.
            let picked: Vec<Value> = items
                .iter()
                .filter_map(|item| {
                    let item = item.as_object()?;
                    let key = key_of(item, sub)?;
                    Some(Value::Object(Map::from_iter([(
                        key.clone(),
                        item[&key].clone(),
                    )])))
                })
                .collect();
            if !picked.is_empty() {
                target.insert(first, Value::Array(picked));
            }
        }
        _ => {}
    }
}

/// Remove what `name` designates.
fn remove(object: &mut Map<String, Value>, name: &Name) {
    let container = match name.extension.as_deref() {
        Some(extension) if name.path.is_empty() => {
            object.remove(extension);
            return;
        }
        Some(extension) => match object.get_mut(extension) {
            Some(Value::Object(inner)) => inner,
            _ => return,
        },
        None => object,
    };
    let Some(first) = name.path.first().and_then(|p| key_of(container, p)) else {
        return;
    };
    match name.path.get(1) {
        None => {
            container.remove(&first);
        }
        Some(sub) => match container.get_mut(&first) {
            Some(Value::Object(inner)) => {
                if let Some(key) = key_of(inner, sub) {
                    inner.remove(&key);
                }
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(key) = key_of(item, sub) {
                        item.remove(&key);
                    }
                }
            }
            _ => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "1",
            "userName": "kim",
            "name": { "givenName": "Kim", "familyName": "Berry" },
            "emails": [{ "value": "k@x", "type": "work" }],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "R&D", "organization": "O" },
            "meta": { "resourceType": "User" }
        })
    }

    #[test]
    fn attributes_keep_what_is_named_and_what_is_always_returned() {
        let mut u = user();
        Projection::new(
            Some("NAME.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
        )
        .apply(&mut u, &["userName"]);
        assert_eq!(
            u,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "1",
                "userName": "kim",
                "name": { "givenName": "Kim" },
                "emails": [{ "value": "k@x" }],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "department": "R&D" }
            })
        );
    }

    #[test]
    fn excluded_attributes_drop_all_but_the_always_returned() {
        let mut u = user();
        Projection::new(
            None,
            Some("name.familyName, emails, id, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User, meta"),
        )
        .apply(&mut u, &["userName"]);
        assert_eq!(
            u,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "1",
                "userName": "kim",
                "name": { "givenName": "Kim" }
            })
        );
    }
}
