//! Insight 10: accounts with access on a Rovo-activated site, and the paid
//! seats of those sites.

use polars::prelude::*;
use serde::Serialize;

use super::{distinct, Advising, Chart, Context, DataTable, Insight, Series, Shown};
use crate::bundle::Table;
use crate::words::count_of;
use crate::frame::first_u64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RovoAccess {
    pub users: u64,
    /// Sum of `paid_seats` of annual rows of Rovo sites; null when none.
    pub paid_seats: Option<u64>,
    pub sites: u64,
}


fn figures(access: LazyFrame, sites: LazyFrame, rovo_sites: LazyFrame) -> PolarsResult<RovoAccess> {
    let users = distinct(
        access.semi_join(rovo_sites.clone(), col("site"), col("site")),
        "account_id",
    )?;
    let seats = sites
        .semi_join(rovo_sites.clone(), col("site"), col("site"))
        .filter(col("billing").eq(lit("annual")))
        .select([
            col("paid_seats").sum().alias("seats"),
            col("paid_seats").count().alias("rows"),
        ])
        .collect()?;
    let paid_seats = (first_u64(&seats, "rows")? > 0)
        .then(|| first_u64(&seats, "seats"))
        .transpose()?;
    let site_count = rovo_sites.select([len().alias("sites")]).collect()?;
    Ok(RovoAccess {
        users,
        paid_seats,
        sites: first_u64(&site_count, "sites")?,
    })
}

impl Insight for RovoAccess {
    const TITLE: &'static str = "Users with access to Rovo";
    const LEAD: &'static str = "Accounts with access to a site where Rovo is activated, and the paid seats of those sites' annual subscriptions.";
    const NOUN: &'static str = "users with access to Rovo";
    const TABLES: &'static [Table] = &[Table::ProductAccess, Table::Sites];

    fn compute(ctx: &Context) -> Option<PolarsResult<Self>> {
        let access = ctx.access_of_accounts_with_access()?;
        let sites = ctx.sites()?;
        let rovo_sites = ctx.rovo_sites()?;
        Some(figures(access, sites, rovo_sites))
    }

    fn show(&self) -> Shown {
        let mut table = DataTable::new(&["users", "paid_seats", "sites"]);
        let seats = self.paid_seats.map(|s| s.to_string()).unwrap_or_default();
        table.row(vec![self.users.to_string(), seats, self.sites.to_string()]);
        let mut categories = vec!["users with access".to_string()];
        let mut values = vec![self.users];
        if let Some(s) = self.paid_seats {
            categories.push("paid seats".into());
            values.push(s);
        }
        Shown {
            summary: match self.paid_seats {
                Some(s) => format!(
                    "{} accounts can use Rovo on {} sites, with {s} paid seats.",
                    self.users, self.sites
                ),
                None => format!("{} accounts can use Rovo on {} sites.", self.users, self.sites),
            },
            table,
            chart: Chart::Bars {
                title: Self::TITLE,
                axis: "accounts",
                categories,
                series: vec![Series {
                    name: "accounts",
                    values,
                }],
            },
        }
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        vec![match self.paid_seats {
            Some(seats) if seats > self.users => format!(
                "{seats} paid Rovo seats for {} with access: lower the user tier at renewal.",
                count_of(self.users, "account")
            ),
            _ => "The paid Rovo seats do not exceed the accounts with access: nothing to do."
                .to_string(),
        }]
    }
}
