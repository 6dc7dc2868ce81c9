//! The neutral form of a structured result (a FlaggedName, a permission tree, a profile): named
//! fields with values, in no particular order and with no XML in them. The catalogue's complex
//! type says each field's order, namespace and type; the SOAP codec writes the two together.

/// The value of one field of a [`Bean`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A string.
    Text(String),
    /// An `xs:boolean`.
    Flag(bool),
    /// An `xs:int`.
    Int(i64),
    /// A repeated string.
    Texts(Vec<String>),
    /// A nested bean.
    Bean(Bean),
    /// A repeated nested bean.
    Beans(Vec<Bean>),
}

/// A structured value: fields by name. A field that is not set is written as Java writes a
/// field left at its default: nil for a reference, `false` or `0` for a primitive, nothing for
/// an array.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bean(Vec<(&'static str, FieldValue)>);

impl Bean {
    /// A bean with no field set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `name` to `value`.
    pub fn with(mut self, name: &'static str, value: FieldValue) -> Self {
        self.0.retain(|(n, _)| *n != name);
        self.0.push((name, value));
        self
    }

    /// Set a string field.
    pub fn text(self, name: &'static str, value: impl Into<String>) -> Self {
        self.with(name, FieldValue::Text(value.into()))
    }

    /// Set a string field when there is a value (otherwise it stays nil).
    pub fn maybe_text(self, name: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.text(name, v),
            None => self,
        }
    }

    /// Set a boolean field.
    pub fn flag(self, name: &'static str, value: bool) -> Self {
        self.with(name, FieldValue::Flag(value))
    }

    /// Set an integer field.
    pub fn int(self, name: &'static str, value: i64) -> Self {
        self.with(name, FieldValue::Int(value))
    }

    /// Set a repeated string field.
    pub fn texts(self, name: &'static str, values: Vec<String>) -> Self {
        self.with(name, FieldValue::Texts(values))
    }

    /// Set a nested bean.
    pub fn bean(self, name: &'static str, value: Bean) -> Self {
        self.with(name, FieldValue::Bean(value))
    }

    /// Set a repeated nested bean.
    pub fn beans(self, name: &'static str, values: Vec<Bean>) -> Self {
        self.with(name, FieldValue::Beans(values))
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The string value of `name`, if set.
    pub fn get_text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(FieldValue::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The boolean value of `name` (`false` when unset).
    pub fn get_flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(FieldValue::Flag(true)))
    }
}
