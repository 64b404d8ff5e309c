//! Insight 10: accounts with access on a Rovo-activated site, and the paid
//! seats of those sites.

use polars::prelude::*;
use serde::Serialize;

use super::{distinct, Advising, Cell, Chart, Context, DataTable, Insight, Shown};
use crate::bundle::Table;
use crate::support::frame::first_u64;
use crate::support::words::count_of;

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
        let mut table = DataTable::new(&[
            ("users", "Users with access"),
            ("paid_seats", "Paid seats"),
            ("sites", "Sites"),
        ]);
        let seats = self
            .paid_seats
            .map(Cell::count)
            .unwrap_or_else(|| Cell::text(""));
        table.row(vec![
            Cell::count(self.users),
            seats,
            Cell::count(self.sites),
        ]);
        let mut categories = vec!["users with access".to_string()];
        let mut values = vec![self.users];
        if let Some(s) = self.paid_seats {
            categories.push("paid seats".into());
            values.push(s);
        }
        let can_use = format!(
            "{} can use Rovo on {}",
            count_of(self.users, "account"),
            count_of(self.sites, "site")
        );
        Shown {
            summary: match self.paid_seats {
                Some(s) => format!("{can_use}, with {}.", count_of(s, "paid seat")),
                None => format!("{can_use}."),
            },
            table,
            chart: Chart::bars(Self::TITLE, "accounts", categories, "accounts", values),
        }
    }

    fn advise(&self, _: &Advising) -> Vec<String> {
        vec![match self.paid_seats {
            Some(seats) if seats > self.users => format!(
                "{} for {} with access: lower the user tier at renewal.",
                count_of(seats, "paid Rovo seat"),
                count_of(self.users, "account")
            ),
            _ => "The paid Rovo seats do not exceed the accounts with access: nothing to do."
                .to_string(),
        }]
    }
}
