//! Insight 2: the email domains of accounts with access.

use polars::prelude::*;
use serde::Serialize;

use super::{Advising, Cell, Chart, Context, DataTable, Insight, Series, Shown};
use crate::bundle::Table;
use crate::support::frame::{counts, strings};
use crate::support::words::{count_of, plural, thousands};

/// Domains shown one by one in the chart; the rest are "other".
const TOP_DOMAINS: usize = 10;
/// Unverified domains named one by one in the advice before "and N more".
const NAMED_DOMAINS: usize = 3;

/// Every domain with accounts with access, the most accounts first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Domains(pub Vec<DomainAccess>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainAccess {
    pub domain: String,
    pub managed: u64,
    pub external: u64,
    /// Any `domains` row of the domain says it is verified.
    pub verified: bool,
}

fn figures(ctx: &Context) -> PolarsResult<Vec<DomainAccess>> {
    // An account without an email has no domain: it counts everywhere else.
    let per_domain = ctx
        .accounts_with_access()
        .filter(col("domain").is_not_null())
        .group_by([col("domain")])
        .agg([
            col("account_type")
                .eq(lit("managed"))
                .cast(DataType::UInt64)
                .sum()
                .alias("managed"),
            col("account_type")
                .eq(lit("external"))
                .cast(DataType::UInt64)
                .sum()
                .alias("external"),
        ]);
    let with_verified = match ctx.domains() {
        Some(domains) => {
            let verified = domains
                .filter(col("verified"))
                .select([col("domain")])
                .unique(None, UniqueKeepStrategy::Any)
                .with_column(lit(true).alias("verified"));
            per_domain
                .left_join(verified, col("domain"), col("domain"))
                .with_column(col("verified").fill_null(lit(false)))
        }
        None => per_domain.with_column(lit(false).alias("verified")),
    };
    let frame = with_verified
        .with_column((col("managed") + col("external")).alias("__accounts"))
        .sort_by_exprs(
            [col("__accounts"), col("domain")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;

    let verified: Vec<bool> = frame
        .column("verified")?
        .bool()?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    Ok(strings(&frame, "domain")?
        .into_iter()
        .zip(counts(&frame, "managed")?)
        .zip(counts(&frame, "external")?)
        .zip(verified)
        .map(|(((domain, managed), external), verified)| DomainAccess {
            domain,
            managed,
            external,
            verified,
        })
        .collect())
}

impl Insight for Domains {
    const TITLE: &'static str = "Domains with access";
    const LEAD: &'static str = "The email domains of the accounts with access, largest first. A domain with many external users may be one to verify and claim.";
    const NOUN: &'static str = "domains with access";
    const TABLES: &'static [Table] = &[Table::Accounts];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        Some(figures(ctx).map(Domains))
    }

    fn show(&self) -> Shown {
        let rows = &self.0;
        let mut table = DataTable::new(&[
            ("domain", "Domain"),
            ("managed", "Managed"),
            ("external", "External"),
            ("verified", "Verified"),
        ]);
        for d in rows {
            table.row(vec![
                Cell::text(d.domain.clone()),
                Cell::count(d.managed),
                Cell::count(d.external),
                Cell::flag(d.verified),
            ]);
        }
        let top = || rows.iter().take(TOP_DOMAINS);
        let mut categories: Vec<String> = top().map(|d| d.domain.clone()).collect();
        let mut managed: Vec<u64> = top().map(|d| d.managed).collect();
        let mut external: Vec<u64> = top().map(|d| d.external).collect();
        if rows.len() > TOP_DOMAINS {
            let rest = || rows.iter().skip(TOP_DOMAINS);
            categories.push(format!(
                "other ({} domains)",
                thousands((rows.len() - TOP_DOMAINS) as u64)
            ));
            managed.push(rest().map(|d| d.managed).sum());
            external.push(rest().map(|d| d.external).sum());
        }
        let verified = rows.iter().filter(|d| d.verified).count() as u64;
        let domains = rows.len() as u64;
        Shown {
            summary: format!(
                "{} {} accounts with access; {} of them verified.",
                count_of(domains, "email domain"),
                plural(domains, "has", "have"),
                thousands(verified)
            ),
            table,
            chart: Chart::Bars {
                title: Self::TITLE,
                axis: "accounts",
                categories,
                series: vec![
                    Series {
                        name: "managed",
                        values: managed,
                    },
                    Series {
                        name: "external",
                        values: external,
                    },
                ],
            },
        }
    }

    fn advise(&self, on: &Advising) -> Vec<String> {
        let least = on.limits.domain_external_accounts_min;
        let to_claim: Vec<&DomainAccess> = self
            .0
            .iter()
            .filter(|d| !d.verified && d.external >= least)
            .collect();
        if to_claim.is_empty() {
            return vec![format!(
                "No unverified domain has {} or more external accounts with access: nothing to do.",
                thousands(least)
            )];
        }
        let mut named: Vec<String> = to_claim
            .iter()
            .take(NAMED_DOMAINS)
            .map(|d| {
                format!(
                    "{} ({})",
                    d.domain,
                    count_of(d.external, "external account")
                )
            })
            .collect();
        if to_claim.len() > NAMED_DOMAINS {
            named.push(format!(
                "{} more",
                thousands((to_claim.len() - NAMED_DOMAINS) as u64)
            ));
        }
        vec![format!(
            "Verify and claim {}, if the organization owns them: their accounts become managed and follow your policies.",
            named.join(", ")
        )]
    }
}
