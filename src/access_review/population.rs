//! Who has access to what, one row per account with access and product:
//! the population of an access review, with every fact a reviewer needs
//! beside it (role, sites, last use of that product, sign-in, exception,
//! the last review's decision).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::*;

use crate::insights::Context;
use crate::review::exceptions::{self, Review};
use crate::review::privacy::Privacy;
use crate::review::reclaim_plan::{added_on, last_views_of_holders};
use crate::review::snapshot::{AccountState, Snapshot};
use crate::support::frame::strings;

/// The columns of review.csv: the facts, then the reviewers' own.
pub const COLUMNS: [&str; 18] = [
    "account_id",
    "email",
    "name",
    "account_type",
    "status",
    "org_admin",
    "product",
    "sites",
    "role",
    "last_active",
    "two_step",
    "sso",
    "added",
    "exception",
    "previous_decision",
    "decision",
    "reviewer",
    "note",
];

/// The columns reviewers fill in; every other one is a fact that must not
/// change between `start` and `close`.
pub const FILLED_IN: usize = 3;

/// The positions in [`COLUMNS`] that the review reads by name.
pub mod at {
    pub const ACCOUNT_ID: usize = 0;
    pub const EMAIL: usize = 1;
    pub const NAME: usize = 2;
    pub const ORG_ADMIN: usize = 5;
    pub const PRODUCT: usize = 6;
    pub const SITES: usize = 7;
    pub const ROLE: usize = 8;
    pub const LAST_ACTIVE: usize = 9;
    pub const ADDED: usize = 12;
    /// The first of the reviewers' columns: decision, reviewer, note.
    pub const DECISION: usize = super::COLUMNS.len() - super::FILLED_IN;
    pub const REVIEWER: usize = DECISION + 1;
    pub const NOTE: usize = DECISION + 2;
}

/// One access under review: the facts, as the cells of review.csv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub cells: Vec<String>,
}

impl Access {
    pub fn account_id(&self) -> &str {
        &self.cells[at::ACCOUNT_ID]
    }

    pub fn product(&self) -> &str {
        &self.cells[at::PRODUCT]
    }

    /// Org admin, or a role that administers the product.
    pub fn privileged(&self) -> bool {
        self.cells[at::ORG_ADMIN] == "true" || self.cells[at::ROLE].to_lowercase().contains("admin")
    }
}

/// The account's facts, by account id, from `accounts`.
struct Person {
    name: String,
    two_step: String,
}

/// The population as of the context's date: accounts with access, one row
/// per product (of `products`, or every product when it is empty), sorted
/// by product, privileged access first, then by account. `previous` gives
/// the last closed review's decision of each (account, product).
pub fn population(
    ctx: &Context,
    snapshot: &Snapshot,
    review: &Review,
    privacy: &Privacy,
    products: &[String],
    previous: &HashMap<(String, String), String>,
) -> PolarsResult<Vec<Access>> {
    let Some(access) = ctx.product_access() else {
        return Ok(Vec::new());
    };
    let people = people(ctx)?;
    let added = added_on(ctx)?;
    let views = last_views_of_holders(ctx)?;
    let holders: HashMap<&str, &AccountState> = snapshot
        .accounts
        .iter()
        .filter(|a| a.has_access)
        .map(|a| (a.account_id.as_str(), a))
        .collect();
    let wanted: BTreeSet<String> = products.iter().map(|p| p.trim().to_lowercase()).collect();
    let mut rows = Vec::new();
    for ((account_id, product), (sites, roles)) in sites_and_roles(access)? {
        let Some(state) = holders.get(account_id.as_str()) else {
            continue;
        };
        if !wanted.is_empty() && !wanted.contains(&product) {
            continue;
        }
        let person = people.get(&account_id);
        let key = (account_id.clone(), product.clone());
        let day = |d: Option<&chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let cells = vec![
            account_id.clone(),
            state.email.clone(),
            person.map(|p| privacy.name(&p.name)).unwrap_or_default(),
            state.account_type.as_str().to_string(),
            state.status.as_str().to_string(),
            state.org_admin.unwrap_or(false).to_string(),
            product,
            sites.into_iter().collect::<Vec<_>>().join("; "),
            roles.into_iter().collect::<Vec<_>>().join("; "),
            day(views.get(&key)),
            match (state.two_step_recorded, person) {
                (true, Some(p)) => p.two_step.clone(),
                _ => "not recorded".to_string(),
            },
            state
                .sso
                .map_or("not recorded".to_string(), |sso| sso.to_string()),
            day(added.get(&account_id)),
            exceptions::active_for(review, state)
                .map(|e| e.reason.clone())
                .unwrap_or_default(),
            previous.get(&key).cloned().unwrap_or_default(),
        ];
        rows.push(Access { cells });
    }
    rows.sort_by(|a, b| {
        (a.product(), !a.privileged(), a.account_id()).cmp(&(
            b.product(),
            !b.privileged(),
            b.account_id(),
        ))
    });
    Ok(rows)
}

/// Each account's name and two-step verification, by account id.
fn people(ctx: &Context) -> PolarsResult<HashMap<String, Person>> {
    let frame = ctx
        .accounts()
        .select([col("account_id"), col("name"), col("two_step")])
        .collect()?;
    let names = frame.column("name")?.str()?.clone();
    let ids = strings(&frame, "account_id")?;
    let two_steps = strings(&frame, "two_step")?;
    Ok(ids
        .into_iter()
        .zip(two_steps)
        .zip(names.iter())
        .map(|((id, two_step), name)| {
            let name = name.unwrap_or_default().to_string();
            (id, Person { name, two_step })
        })
        .collect())
}

/// The sites and the roles of each (account, product) of `product_access`.
type SitesAndRoles = BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)>;

fn sites_and_roles(access: LazyFrame) -> PolarsResult<SitesAndRoles> {
    let has_role = access.clone().collect_schema()?.get("role").is_some();
    let role = if has_role {
        col("role").cast(DataType::String)
    } else {
        lit(NULL).cast(DataType::String).alias("role")
    };
    let frame = access
        .select([
            col("account_id").cast(DataType::String),
            col("product").cast(DataType::String),
            col("site").cast(DataType::String),
            role,
        ])
        .collect()?;
    let ids = strings(&frame, "account_id")?;
    let products = strings(&frame, "product")?;
    let sites = strings(&frame, "site")?;
    let roles = frame.column("role")?.str()?.clone();
    let mut by_pair = SitesAndRoles::new();
    for (((id, product), site), role) in ids.into_iter().zip(products).zip(sites).zip(roles.iter())
    {
        let entry = by_pair.entry((id, product)).or_default();
        if !site.is_empty() {
            entry.0.insert(site);
        }
        if let Some(role) = role.filter(|r| !r.trim().is_empty()) {
            entry.1.insert(role.trim().to_string());
        }
    }
    Ok(by_pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_named_position_is_its_column() {
        let named = [
            (at::ACCOUNT_ID, "account_id"),
            (at::EMAIL, "email"),
            (at::NAME, "name"),
            (at::ORG_ADMIN, "org_admin"),
            (at::PRODUCT, "product"),
            (at::SITES, "sites"),
            (at::ROLE, "role"),
            (at::LAST_ACTIVE, "last_active"),
            (at::ADDED, "added"),
            (at::DECISION, "decision"),
            (at::REVIEWER, "reviewer"),
            (at::NOTE, "note"),
        ];
        for (position, name) in named {
            assert_eq!(COLUMNS[position], name);
        }
    }
}
