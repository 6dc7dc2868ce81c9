//! The neutral form of a request's parameters: what the SOAP codec extracts from the operation
//! element, before the catalogue gives it types. Keeps XML out of the service layer.

use super::catalogue::{FieldType, OperationSpec};
use super::ServiceError;

/// The content of one parameter element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    /// `xsi:nil="true"`.
    Nil,
    /// Text content (for an empty element, the empty string).
    Text(String),
    /// Child elements by local name, in document order.
    Complex(Vec<(String, ParamValue)>),
}

/// The parameters of one request, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(String, ParamValue)>,
}

impl Params {
    /// Append a parameter as it appeared in the request.
    pub fn push(&mut self, name: String, value: ParamValue) {
        self.entries.push((name, value));
    }

    /// Check every parameter against the operation's catalogue entry: known name, allowed count
    /// and the right shape for its type.
    pub fn validate(&self, spec: &OperationSpec) -> Result<(), ServiceError> {
        for (index, (name, value)) in self.entries.iter().enumerate() {
            let Some(field) = spec.field(name) else {
                let expected: Vec<&str> = spec.input.iter().map(|f| f.name).collect();
                return Err(ServiceError::BadRequest(format!(
                    "unexpected element '{name}' in {}; expected {}",
                    spec.name,
                    if expected.is_empty() {
                        "no child elements".to_string()
                    } else {
                        format!("only: {}", expected.join(", "))
                    }
                )));
            };
            if !field.repeated && self.entries[..index].iter().any(|(n, _)| n == name) {
                return Err(ServiceError::BadRequest(format!(
                    "element '{name}' of {} may appear at most once",
                    spec.name
                )));
            }
            let shape_ok = match (field.ty.is_complex(), value) {
                (_, ParamValue::Nil) => field.ty.is_nillable(),
                (true, ParamValue::Complex(_)) => true,
                (true, ParamValue::Text(text)) => text.trim().is_empty(),
                (false, ParamValue::Text(_)) => true,
                (false, ParamValue::Complex(_)) => false,
            };
            if !shape_ok {
                return Err(ServiceError::BadRequest(format!(
                    "element '{name}' of {} does not have the content of a {}",
                    spec.name,
                    type_label(field.ty)
                )));
            }
        }
        Ok(())
    }

    fn values(&self, name: &str) -> Vec<&ParamValue> {
        self.entries
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v)
            .collect()
    }

    /// A single string parameter; absent or nil gives `None`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values(name).into_iter().find_map(|v| match v {
            ParamValue::Text(t) => Some(t.as_str()),
            _ => None,
        })
    }

    /// A repeated string parameter; nil entries are skipped.
    pub fn texts(&self, name: &str) -> Vec<&str> {
        self.values(name)
            .into_iter()
            .filter_map(|v| match v {
                ParamValue::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// A repeated complex parameter: for each occurrence, a lookup of its children by local name.
    pub fn records(&self, name: &str) -> Vec<Record<'_>> {
        self.values(name)
            .into_iter()
            .filter_map(|v| match v {
                ParamValue::Complex(children) => Some(Record(children)),
                ParamValue::Text(_) => Some(Record(&[])),
                ParamValue::Nil => None,
            })
            .collect()
    }

    /// An `xs:int` parameter; absent gives `None`.
    pub fn int(&self, name: &str) -> Result<Option<i32>, ServiceError> {
        self.text(name)
            .map(|t| {
                t.trim().parse::<i32>().map_err(|_| {
                    ServiceError::BadRequest(format!(
                        "element '{name}' must be an xs:int, got '{}'",
                        crate::store::names::truncate_for_message(t)
                    ))
                })
            })
            .transpose()
    }

    /// An `xs:boolean` parameter read as Axis2's ConverterUtil reads it: `true`/`false` in any
    /// case, `1`, `0`; absent gives `None`.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ServiceError> {
        self.text(name)
            .map(|t| match t.trim() {
                t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
                t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
                other => Err(ServiceError::BadRequest(format!(
                    "element '{name}' must be an xs:boolean (true or false), got '{}'",
                    crate::store::names::truncate_for_message(other)
                ))),
            })
            .transpose()
    }
}

/// The children of one complex parameter.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a>(&'a [(String, ParamValue)]);

impl<'a> Record<'a> {
    /// The text of the child called `name`; absent, nil or complex gives `None`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find_map(|(n, v)| match v {
            ParamValue::Text(t) if n == name => Some(t.as_str()),
            _ => None,
        })
    }

    /// Whether a child called `name` is present (nil or not).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The texts of every child called `name` (a repeated string field), nil ones skipped.
    pub fn texts(&self, name: &str) -> Vec<&'a str> {
        self.0
            .iter()
            .filter_map(|(n, v)| match v {
                ParamValue::Text(t) if n == name => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The nested records called `name` (a repeated bean field), nil ones skipped.
    pub fn records(&self, name: &str) -> Vec<Record<'a>> {
        self.0
            .iter()
            .filter_map(|(n, v)| match v {
                ParamValue::Complex(children) if n == name => Some(Record(children)),
                ParamValue::Text(_) if n == name => Some(Record(&[])),
                _ => None,
            })
            .collect()
    }

    /// An `xs:boolean` child read as Axis2 reads it (`true`/`1`), `false` when absent.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .map(str::trim)
            .is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "1")
    }
}

fn type_label(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "xs:string",
        FieldType::Int => "xs:int",
        FieldType::Boolean => "xs:boolean",
        FieldType::Base64 => "xs:base64Binary",
        FieldType::ClaimValue => "ClaimValue",
        FieldType::FlaggedName => "FlaggedName",
        FieldType::UserProfile => "UserProfileDTO",
        FieldType::IdentityClaim => "UserIdentityClaimDTO",
        FieldType::Challenge => "UserChallengesDTO",
        FieldType::ChallengeQuestion => "ChallengeQuestionDTO",
        FieldType::Permission => "Permission",
        FieldType::Tenant => "Tenant",
    }
}
