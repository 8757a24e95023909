//! A parsed bucket policy: what [`super::parse`] builds from the JSON and
//! [`super::eval`] decides with. Every name is already validated and
//! normalised here (condition keys lowercased, operators resolved), so
//! evaluation never fails.

/// A bucket policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `Version` as written (`2012-10-17` or `2008-10-17`), if any.
    pub version: Option<String>,
    /// `Id`, if any.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// Whom a statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous requests included.
    Anyone,
    /// Named principals (`AWS` and `CanonicalUser` values, as written).
    Named(Vec<String>),
}

/// `X` or `NotX`: a list that must match, or one that must not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match<T> {
    Is(T),
    Not(T),
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// Principal / NotPrincipal.
    pub principal: Match<Principals>,
    /// Action / NotAction: patterns like `s3:Get*` (case-insensitive).
    pub action: Match<Vec<String>>,
    /// Resource / NotResource: ARN patterns (case-sensitive), possibly
    /// with policy variables.
    pub resource: Match<Vec<String>>,
    /// Every condition must hold (AND across operators and keys).
    pub conditions: Vec<Condition>,
}

/// The base operator of a condition, before `IfExists` and the set
/// qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

impl Operator {
    /// Every operator with its name in policies.
    pub const ALL: [(&'static str, Operator); 26] = [
        ("StringEquals", Operator::StringEquals),
        ("StringNotEquals", Operator::StringNotEquals),
        ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
        ("StringNotEqualsIgnoreCase", Operator::StringNotEqualsIgnoreCase),
        ("StringLike", Operator::StringLike),
        ("StringNotLike", Operator::StringNotLike),
        ("NumericEquals", Operator::NumericEquals),
        ("NumericNotEquals", Operator::NumericNotEquals),
        ("NumericLessThan", Operator::NumericLessThan),
        ("NumericLessThanEquals", Operator::NumericLessThanEquals),
        ("NumericGreaterThan", Operator::NumericGreaterThan),
        ("NumericGreaterThanEquals", Operator::NumericGreaterThanEquals),
        ("DateEquals", Operator::DateEquals),
        ("DateNotEquals", Operator::DateNotEquals),
        ("DateLessThan", Operator::DateLessThan),
        ("DateLessThanEquals", Operator::DateLessThanEquals),
        ("DateGreaterThan", Operator::DateGreaterThan),
        ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
        ("Bool", Operator::Bool),
        ("IpAddress", Operator::IpAddress),
        ("NotIpAddress", Operator::NotIpAddress),
        ("ArnEquals", Operator::ArnEquals),
        ("ArnNotEquals", Operator::ArnNotEquals),
        ("ArnLike", Operator::ArnLike),
        ("ArnNotLike", Operator::ArnNotLike),
        ("Null", Operator::Null),
    ];

    /// Whether the operator asks that the request value match none of the
    /// policy's values; a missing key then satisfies it, as on AWS.
    pub fn negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
                | Operator::ArnNotEquals
                | Operator::ArnNotLike
        )
    }
}

/// `ForAnyValue:` / `ForAllValues:`: how a multi-valued key is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// At least one request value must match.
    ForAnyValue,
    /// Every request value must match (true when the key has none).
    ForAllValues,
}

/// One operator applied to one key with its values (OR'd).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub qualifier: Option<SetQualifier>,
    /// `...IfExists`: a missing key satisfies the condition.
    pub if_exists: bool,
    /// The condition key, lowercased (keys are case-insensitive).
    pub key: String,
    /// The values as strings (JSON numbers and booleans as written).
    pub values: Vec<String>,
}
