//! The tables of an export bundle and the columns each one holds, as the
//! data contract defines them. Everything else in the loader is driven by
//! these declarations, so a new column is one line here.

/// One table of an export bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Accounts,
    ProductAccess,
    Sites,
    Domains,
    Activity,
    ApiTokens,
    Events,
}

impl Table {
    pub const ALL: [Table; 7] = [
        Table::Accounts,
        Table::ProductAccess,
        Table::Sites,
        Table::Domains,
        Table::Activity,
        Table::ApiTokens,
        Table::Events,
    ];

    /// The file stem of the table, also used in messages and in insights.json.
    pub fn name(self) -> &'static str {
        match self {
            Table::Accounts => "accounts",
            Table::ProductAccess => "product_access",
            Table::Sites => "sites",
            Table::Domains => "domains",
            Table::Activity => "activity",
            Table::ApiTokens => "api_tokens",
            Table::Events => "events",
        }
    }

    /// The column whose values are unique: a repeat after its first row is
    /// a row problem.
    pub fn unique_key(self) -> Option<&'static str> {
        match self {
            Table::Accounts => Some("account_id"),
            Table::ApiTokens => Some("token_id"),
            Table::Events => Some("event_id"),
            _ => None,
        }
    }

    /// Only `accounts` must be present; every other table is optional.
    pub fn is_required(self) -> bool {
        self == Table::Accounts
    }

    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Table::Accounts => ACCOUNTS,
            Table::ProductAccess => PRODUCT_ACCESS,
            Table::Sites => SITES,
            Table::Domains => DOMAINS,
            Table::Activity => ACTIVITY,
            Table::ApiTokens => API_TOKENS,
            Table::Events => EVENTS,
        }
    }
}

/// How a cell is read, once trimmed of surrounding white space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Kept as written; an empty cell is null.
    Text,
    /// Lower-cased (product keys, domains).
    Key,
    /// Exactly one `@`.
    Email,
    /// One of `values`, matched case-insensitively.
    Enum {
        values: &'static [&'static str],
        default: Option<&'static str>,
    },
    Bool {
        default: bool,
    },
    /// ISO `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 time (`2026-11-02T10:15:30Z`, `...30.123+01:00`), kept
    /// as written; a native Parquet datetime is written as UTC.
    Timestamp,
    Int {
        min: i64,
        default: Option<i64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// The header must name the column.
    pub required: bool,
    /// A cell of a required column may still be empty.
    pub may_be_empty: bool,
}

impl ColumnSpec {
    /// Whether an empty cell breaks the contract.
    pub fn cell_required(&self) -> bool {
        self.required && !self.may_be_empty
    }
}

const fn required(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
        may_be_empty: false,
    }
}

/// A column every file has, whose cells may be empty (an account's email,
/// when the source gives no address).
const fn required_may_be_empty(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: true,
        may_be_empty: true,
    }
}

const fn optional(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
        may_be_empty: true,
    }
}

pub const ACCOUNT_TYPES: &[&str] = &["managed", "external"];
pub const STATUSES: &[&str] = &["active", "suspended", "deactivated"];
pub const TWO_STEP: &[&str] = &["off", "on", "enforced"];
/// In ascending order: `trello_by_plan` relies on it.
pub const PLANS: &[&str] = &["free", "standard", "premium", "enterprise"];
pub const BILLING: &[&str] = &["monthly", "annual"];
pub const SURFACES: &[&str] = &["web", "mobile", "desktop"];
pub const ACTIONS: &[&str] = &[
    "view",
    "rovo_search",
    "rovo_definition",
    "rovo_chat",
    "rovo_agent",
    "rovo_first_party_click",
    "rovo_third_party_click",
    "rovo_third_party_filter",
    "ai",
];

/// `activity.action` of an empty cell.
pub const DEFAULT_ACTION: &str = "view";
/// `activity.success` of an empty cell.
pub const DEFAULT_SUCCESS: bool = true;
/// The least `activity.count`, and the count of an empty cell.
pub const MIN_COUNT: i64 = 1;

pub const TRUE_WORDS: &[&str] = &["true", "1", "yes"];
pub const FALSE_WORDS: &[&str] = &["false", "0", "no"];

const ACCOUNTS: &[ColumnSpec] = &[
    required("account_id", Kind::Text),
    required_may_be_empty("email", Kind::Email),
    optional("name", Kind::Text),
    required(
        "account_type",
        Kind::Enum {
            values: ACCOUNT_TYPES,
            default: None,
        },
    ),
    optional(
        "status",
        Kind::Enum {
            values: STATUSES,
            default: Some("active"),
        },
    ),
    optional(
        "two_step",
        Kind::Enum {
            values: TWO_STEP,
            default: Some("off"),
        },
    ),
    optional("sso", Kind::Bool { default: false }),
    optional("external_policy", Kind::Bool { default: false }),
    optional("org_admin", Kind::Bool { default: false }),
    // False for a managed account that no managed accounts export has
    // listed yet: its `sso` and `two_step` are not known.
    optional("auth_recorded", Kind::Bool { default: true }),
    // Not in the data contract: when the account joined the organization
    // (the users export's "Added to org"), for seat reclaim.
    optional("added_on", Kind::Date),
];

const PRODUCT_ACCESS: &[ColumnSpec] = &[
    required("account_id", Kind::Text),
    required("product", Kind::Key),
    required("site", Kind::Text),
    // The role as the source gives it; a row is access whatever its role.
    optional("role", Kind::Text),
];

const SITES: &[ColumnSpec] = &[
    required("site", Kind::Text),
    required("product", Kind::Key),
    optional(
        "plan",
        Kind::Enum {
            values: PLANS,
            default: Some("free"),
        },
    ),
    optional("rovo", Kind::Bool { default: false }),
    optional("rovo_activated_on", Kind::Date),
    optional("ai", Kind::Bool { default: false }),
    optional(
        "billing",
        Kind::Enum {
            values: BILLING,
            default: None,
        },
    ),
    optional(
        "paid_seats",
        Kind::Int {
            min: 0,
            default: None,
        },
    ),
];

const DOMAINS: &[ColumnSpec] = &[
    required("domain", Kind::Key),
    optional("verified", Kind::Bool { default: false }),
];

const ACTIVITY: &[ColumnSpec] = &[
    required("date", Kind::Date),
    required("account_id", Kind::Text),
    required("product", Kind::Key),
    optional("site", Kind::Text),
    optional(
        "surface",
        Kind::Enum {
            values: SURFACES,
            default: Some("web"),
        },
    ),
    optional(
        "action",
        Kind::Enum {
            values: ACTIONS,
            default: Some(DEFAULT_ACTION),
        },
    ),
    optional(
        "success",
        Kind::Bool {
            default: DEFAULT_SUCCESS,
        },
    ),
    optional(
        "count",
        Kind::Int {
            min: MIN_COUNT,
            default: Some(MIN_COUNT),
        },
    ),
];

const API_TOKENS: &[ColumnSpec] = &[
    required("token_id", Kind::Text),
    required("account_id", Kind::Text),
    // The owner's address as the source gives it: shown, never parsed.
    optional("email", Kind::Text),
    optional("label", Kind::Text),
    // Lower-cased; empty is `allowed`, the only status a token can be used in.
    optional("status", Kind::Key),
    required("created", Kind::Date),
    optional("expires", Kind::Date),
    optional("last_active", Kind::Date),
];

const EVENTS: &[ColumnSpec] = &[
    required("event_id", Kind::Text),
    required("time", Kind::Timestamp),
    required("action", Kind::Key),
    optional("actor_id", Kind::Text),
    optional("actor", Kind::Text),
    optional("subject_id", Kind::Text),
    optional("subject", Kind::Text),
    optional("target", Kind::Text),
    optional("ip", Kind::Text),
];

impl Kind {
    /// What a valid cell looks like, for error messages.
    pub fn expectation(self) -> String {
        match self {
            Kind::Text | Kind::Key => "a non-empty value".to_string(),
            Kind::Email => "an email address with exactly one '@'".to_string(),
            Kind::Enum { values, .. } => format!("one of {}", values.join(", ")),
            Kind::Bool { .. } => "a boolean: true/false, 1/0 or yes/no".to_string(),
            Kind::Date => "a date as YYYY-MM-DD".to_string(),
            Kind::Timestamp => "an RFC 3339 time such as 2026-11-02T10:15:30Z".to_string(),
            Kind::Int { min, .. } => format!("a whole number >= {min}"),
        }
    }
}
