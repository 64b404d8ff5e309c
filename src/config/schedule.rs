//! When `schedule` runs the report: a cron expression (six fields,
//! seconds first) read in a time zone, each next run computed with croner
//! by the zone's wall clock, so daylight-saving changes are followed.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use croner::Cron;

use crate::problems::Expected;

/// A cron expression (six fields, seconds first) in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    expression: String,
    timezone: Tz,
}

impl Schedule {
    pub fn parse(expression: &str, timezone: Tz) -> Result<Self, Expected> {
        let fields = expression.split_whitespace().count();
        if fields != 6 {
            return Err(Expected::from(format!(
                "'{expression}' has {fields} fields"
            )));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .build()
            .parse(expression)
            .map_err(|err| format!("'{expression}': {err}"))?;
        Ok(Schedule {
            cron,
            expression: expression.to_string(),
            timezone,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The first run strictly after `now`, by the wall clock of the zone.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&now.with_timezone(&self.timezone), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The last run at or before `now`.
    pub fn previous_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&self.timezone), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Berlin;

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Berlin
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    /// A simulated clock: the runs that follow `start`, one after another.
    fn runs_from(schedule: &Schedule, start: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        let mut runs = Vec::new();
        let mut now = start;
        for _ in 0..count {
            now = schedule.next_after(now).unwrap();
            runs.push(now);
        }
        runs
    }

    #[test]
    fn six_in_the_morning_on_both_sides_of_spring_forward() {
        // Europe/Berlin moves from UTC+1 to UTC+2 on 2026-03-29 at 02:00.
        let daily = Schedule::parse("0 0 6 * * *", Berlin).unwrap();
        let runs = runs_from(&daily, berlin(2026, 3, 27, 12, 0), 4);
        assert_eq!(
            runs,
            vec![
                utc(2026, 3, 28, 5, 0), // 06:00 CET
                utc(2026, 3, 29, 4, 0), // 06:00 CEST, the day of the change
                utc(2026, 3, 30, 4, 0),
                utc(2026, 3, 31, 4, 0),
            ]
        );
    }

    #[test]
    fn six_in_the_morning_on_both_sides_of_fall_back() {
        // Europe/Berlin moves from UTC+2 to UTC+1 on 2026-10-25 at 03:00.
        let daily = Schedule::parse("0 0 6 * * *", Berlin).unwrap();
        let runs = runs_from(&daily, berlin(2026, 10, 23, 12, 0), 3);
        assert_eq!(
            runs,
            vec![
                utc(2026, 10, 24, 4, 0), // 06:00 CEST
                utc(2026, 10, 25, 5, 0), // 06:00 CET, the day of the change
                utc(2026, 10, 26, 5, 0),
            ]
        );
    }

    #[test]
    fn a_time_inside_the_spring_gap_runs_once_right_after_it_and_once_in_the_repeated_hour() {
        let at_half_past_two = Schedule::parse("0 30 2 * * *", Berlin).unwrap();
        // 02:30 does not exist on 2026-03-29: the run comes at 03:00 CEST.
        assert_eq!(
            runs_from(&at_half_past_two, berlin(2026, 3, 28, 12, 0), 1),
            vec![utc(2026, 3, 29, 1, 0)]
        );
        // 02:30 happens twice on 2026-10-25: one run, at the first.
        assert_eq!(
            runs_from(&at_half_past_two, berlin(2026, 10, 24, 12, 0), 2),
            vec![utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
        );
    }

    #[test]
    fn the_previous_run_is_found_for_catch_up() {
        let daily = Schedule::parse("0 0 6 * * *", Berlin).unwrap();
        assert_eq!(
            daily.previous_before(berlin(2026, 7, 1, 5, 59)),
            Some(berlin(2026, 6, 30, 6, 0))
        );
        assert_eq!(
            daily.previous_before(berlin(2026, 7, 1, 6, 0)),
            Some(berlin(2026, 7, 1, 6, 0))
        );
    }

    #[test]
    fn five_fields_or_bad_values_are_rejected() {
        assert!(Schedule::parse("0 6 * * *", Berlin).is_err());
        assert!(Schedule::parse("0 0 6 * * * 2026", Berlin).is_err());
        assert!(Schedule::parse("0 0 24 * * *", Berlin).is_err());
        assert!(Schedule::parse("*/2 * * * * *", Berlin).is_ok());
    }
}
