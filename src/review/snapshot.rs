//! The account-level snapshot kept beside each report
//! (`<out>/<as_of>/snapshot.parquet`): one row per account with what the
//! next report compares against to say who changed. Rows are sorted by
//! account, so the same input gives the same file.

use std::io::Cursor;
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::insight_key::InsightKey;
use crate::insights::{window_start, AccountFacts, Context};
use crate::review::privacy::Privacy;
use crate::support::frame::{counts, date_to_days, days_to_date, epoch_days, flags, strings};

/// The snapshot's file name inside a report directory.
pub const FILE: &str = "snapshot.parquet";

/// An enumeration whose values the snapshot stores as the contract's
/// words, with `as_str`, `parse` and `Display`.
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum! {
    /// `accounts.account_type`.
    AccountType { Managed => "managed", External => "external" }
}

word_enum! {
    /// `accounts.status`.
    Status { Active => "active", Suspended => "suspended", Deactivated => "deactivated" }
}

word_enum! {
    /// `accounts.two_step`: off, on by the person, or enforced by a policy.
    TwoStep { Off => "off", On => "on", Enforced => "enforced" }
}

/// One account as a report saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub account_id: String,
    pub email: String,
    /// The lower-cased part of the email after the `@`.
    pub domain: String,
    pub account_type: AccountType,
    pub status: Status,
    pub two_step: TwoStep,
    /// Whether the source recorded `two_step` (for a managed account, as
    /// `managed_authentication`; for an external user, as
    /// `external_two_step`): a change is only between two known values.
    pub two_step_recorded: bool,
    /// `None` when the bundle's source does not record single sign-on.
    pub sso: Option<bool>,
    pub external_policy: bool,
    /// Whether the source recorded `external_policy`.
    pub policy_recorded: bool,
    /// Holds the organization admin role; `None` in a snapshot kept by a
    /// version that did not record it.
    pub org_admin: Option<bool>,
    /// Has access as the contract defines it.
    pub has_access: bool,
    /// Products with access, sorted (empty without `product_access`).
    pub products: Vec<String>,
    /// The latest counted `view` on or before the report date.
    pub last_active: Option<NaiveDate>,
}

impl AccountState {
    /// What a control's rule reads of the account.
    pub fn facts(&self) -> AccountFacts {
        AccountFacts {
            external: self.is_external(),
            sso: self.sso,
            two_step_on: self.two_step_on(),
            external_policy: self.external_policy,
            // A managed account's 2SV is unknown exactly when its sign-in
            // was not recorded (`accounts.auth_recorded`).
            auth_recorded: self.is_external() || self.two_step_recorded,
        }
    }

    /// Two-step verification is on, by the person or by a policy.
    pub fn two_step_on(&self) -> bool {
        self.two_step != TwoStep::Off
    }

    pub fn is_external(&self) -> bool {
        self.account_type == AccountType::External
    }

    /// Active in the 30-day window ending on `as_of`.
    pub fn active_on(&self, as_of: NaiveDate) -> bool {
        self.last_active
            .is_some_and(|day| day >= window_start(as_of) && day <= as_of)
    }
}

/// Every account of one report, sorted by `account_id`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub as_of: NaiveDate,
    pub accounts: Vec<AccountState>,
}

impl Snapshot {
    /// Accounts with access and no activity in the window.
    pub fn idle_accounts(&self) -> u64 {
        self.accounts
            .iter()
            .filter(|a| a.has_access && !a.active_on(self.as_of))
            .count() as u64
    }

    /// The accounts of the bundle as the report for `ctx.as_of` sees them,
    /// emails as `privacy` shows them.
    pub fn build(ctx: &Context, privacy: &Privacy) -> PolarsResult<Snapshot> {
        let accounts = ctx
            .accounts()
            .select([
                col("account_id"),
                col("email"),
                col("domain"),
                col("account_type"),
                col("status"),
                col("two_step"),
                col("sso"),
                col("external_policy"),
                col("auth_recorded"),
                col("org_admin"),
                col("has_access"),
            ])
            .collect()?;
        // Both by account number, the row of the account in `accounts`.
        let mut products = products_by_account(ctx, accounts.height())?;
        let last_active = last_active_by_account(ctx, accounts.height())?;

        let sso_recorded = ctx.records_sso();
        let policy_recorded = ctx.records(InsightKey::ExternalPolicy);
        let (sso, policy, access, auth_recorded) = (
            flags(&accounts, "sso")?,
            flags(&accounts, "external_policy")?,
            flags(&accounts, "has_access")?,
            flags(&accounts, "auth_recorded")?,
        );
        let org_admin = flags(&accounts, "org_admin")?;
        let columns = [
            "account_id",
            "email",
            "domain",
            "account_type",
            "status",
            "two_step",
        ]
        .map(|name| strings(&accounts, name));
        let [ids, emails, domains, types, statuses, two_steps] = columns;
        let mut rows: Vec<AccountState> = ids?
            .into_iter()
            .zip(emails?)
            .zip(domains?)
            .zip(words(types?, "account_type", AccountType::parse)?)
            .zip(words(statuses?, "status", Status::parse)?)
            .zip(words(two_steps?, "two_step", TwoStep::parse)?)
            .enumerate()
            .map(
                |(i, (((((account_id, email), domain), account_type), status), two_step))| {
                    AccountState {
                        products: std::mem::take(&mut products[i]),
                        last_active: last_active[i],
                        account_id,
                        email: privacy.email(&email),
                        domain,
                        two_step_recorded: match account_type {
                            AccountType::Managed => {
                                ctx.records(InsightKey::ManagedAuthentication) && auth_recorded[i]
                            }
                            AccountType::External => ctx.records(InsightKey::ExternalTwoStep),
                        },
                        account_type,
                        status,
                        two_step,
                        sso: (sso_recorded && auth_recorded[i]).then_some(sso[i]),
                        external_policy: policy[i],
                        policy_recorded,
                        org_admin: Some(org_admin[i]),
                        has_access: access[i],
                    }
                },
            )
            .collect();
        rows.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok(Snapshot {
            as_of: ctx.as_of,
            accounts: rows,
        })
    }

    /// The snapshot as Parquet bytes. `products` is a comma-separated
    /// string, `last_active` a date.
    pub fn to_parquet(&self) -> PolarsResult<Vec<u8>> {
        let text =
            |f: fn(&AccountState) -> &str| -> Vec<&str> { self.accounts.iter().map(f).collect() };
        let flag =
            |f: fn(&AccountState) -> bool| -> Vec<bool> { self.accounts.iter().map(f).collect() };
        let products: Vec<String> = self.accounts.iter().map(|a| a.products.join(",")).collect();
        let last_active: Vec<Option<i32>> = self
            .accounts
            .iter()
            .map(|a| a.last_active.map(date_to_days))
            .collect();
        let mut frame = DataFrame::new_infer_height(vec![
            Column::new("account_id".into(), text(|a| &a.account_id)),
            Column::new("email".into(), text(|a| &a.email)),
            Column::new("domain".into(), text(|a| &a.domain)),
            Column::new("account_type".into(), text(|a| a.account_type.as_str())),
            Column::new("status".into(), text(|a| a.status.as_str())),
            // Null where the source did not record it.
            Column::new(
                "two_step".into(),
                self.accounts
                    .iter()
                    .map(|a| a.two_step_recorded.then_some(a.two_step.as_str()))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "sso".into(),
                self.accounts.iter().map(|a| a.sso).collect::<Vec<_>>(),
            ),
            Column::new(
                "external_policy".into(),
                self.accounts
                    .iter()
                    .map(|a| a.policy_recorded.then_some(a.external_policy))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "org_admin".into(),
                self.accounts
                    .iter()
                    .map(|a| a.org_admin)
                    .collect::<Vec<_>>(),
            ),
            Column::new("has_access".into(), flag(|a| a.has_access)),
            Column::new("products".into(), products),
            Column::new("last_active".into(), last_active).cast(&DataType::Date)?,
        ])?;
        let mut bytes = Vec::new();
        ParquetWriter::new(Cursor::new(&mut bytes)).finish(&mut frame)?;
        Ok(bytes)
    }

    /// Reads the snapshot a report for `as_of` kept.
    pub fn read(path: &Path, as_of: NaiveDate) -> anyhow::Result<Snapshot> {
        let read = || -> PolarsResult<Snapshot> {
            let file = std::fs::File::open(path)?;
            let frame = ParquetReader::new(file).finish()?;
            let text = |name: &str| strings(&frame, name);
            let flag = |name: &str| flags(&frame, name);
            let last_active: Vec<Option<NaiveDate>> = epoch_days(&frame, "last_active")?
                .into_iter()
                .map(|days| days.and_then(days_to_date))
                .collect();
            let (sso, policy) = (
                nullable(&frame, "sso")?,
                nullable(&frame, "external_policy")?,
            );
            // A null two_step was not recorded: kept apart from "off".
            let two_step_recorded: Vec<bool> = frame
                .column("two_step")?
                .str()?
                .iter()
                .map(|v| v.is_some())
                .collect();
            let access = flag("has_access")?;
            // Snapshots of earlier versions have no org_admin column.
            let org_admin = nullable(&frame, "org_admin").unwrap_or(vec![None; frame.height()]);
            let accounts = text("account_id")?
                .into_iter()
                .zip(text("email")?)
                .zip(text("domain")?)
                .zip(words(
                    text("account_type")?,
                    "account_type",
                    AccountType::parse,
                )?)
                .zip(words(text("status")?, "status", Status::parse)?)
                .zip(words(
                    text("two_step")?
                        .into_iter()
                        .zip(&two_step_recorded)
                        .map(|(word, &known)| if known { word } else { "off".to_string() })
                        .collect(),
                    "two_step",
                    TwoStep::parse,
                )?)
                .zip(text("products")?)
                .enumerate()
                .map(
                    |(
                        i,
                        (
                            (((((account_id, email), domain), account_type), status), two_step),
                            products,
                        ),
                    )| {
                        AccountState {
                            account_id,
                            email,
                            domain,
                            account_type,
                            status,
                            two_step,
                            two_step_recorded: two_step_recorded[i],
                            sso: sso[i],
                            external_policy: policy[i].unwrap_or(false),
                            policy_recorded: policy[i].is_some(),
                            org_admin: org_admin[i],
                            has_access: access[i],
                            products: products
                                .split(',')
                                .filter(|p| !p.is_empty())
                                .map(str::to_string)
                                .collect(),
                            last_active: last_active[i],
                        }
                    },
                )
                .collect();
            Ok(Snapshot { as_of, accounts })
        };
        read().map_err(|err| anyhow::anyhow!("reading the snapshot {}: {err}", path.display()))
    }
}

/// A boolean column whose null means "not recorded".
fn nullable(frame: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(frame.column(name)?.bool()?.iter().collect())
}

/// A column of the contract's words as their enumeration; an unknown word
/// (a damaged snapshot) is an error naming it.
fn words<T>(
    values: Vec<String>,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> PolarsResult<Vec<T>> {
    values
        .iter()
        .map(|v| parse(v).ok_or_else(|| polars_err!(ComputeError: "unknown {column} '{v}'")))
        .collect()
}

/// The sorted products each of the `accounts` accounts has access to, by
/// account number.
fn products_by_account(ctx: &Context, accounts: usize) -> PolarsResult<Vec<Vec<String>>> {
    let mut by_account = vec![Vec::new(); accounts];
    let Some(access) = ctx.product_access() else {
        return Ok(by_account);
    };
    let numbered = ctx
        .numbered_accounts()
        .select([col("account"), col("account_id")]);
    let pairs = access
        .select([col("account_id"), col("product")])
        .unique(None, UniqueKeepStrategy::Any)
        .inner_join(numbered, col("account_id"), col("account_id"))
        .collect()?;
    for (account, product) in counts(&pairs, "account")?
        .into_iter()
        .zip(strings(&pairs, "product")?)
    {
        if let Some(products) = by_account.get_mut(account as usize) {
            products.push(product);
        }
    }
    for products in &mut by_account {
        products.sort();
    }
    Ok(by_account)
}

/// The latest counted view of each of the `accounts` accounts, by account
/// number.
fn last_active_by_account(ctx: &Context, accounts: usize) -> PolarsResult<Vec<Option<NaiveDate>>> {
    let mut by_account = vec![None; accounts];
    let Some(activity) = ctx.activity() else {
        return Ok(by_account);
    };
    let latest = &activity.per_account;
    for (account, day) in counts(latest, "account")?
        .into_iter()
        .zip(epoch_days(latest, "last_view")?)
    {
        if let Some(slot) = by_account.get_mut(account as usize) {
            *slot = day.and_then(days_to_date);
        }
    }
    Ok(by_account)
}
