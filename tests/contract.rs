//! Every figure of the program against an independent implementation of the
//! contract (tests/common/oracle.rs), on random bundles written in a random
//! mix of formats and spellings.

mod common;

use chrono::NaiveDate;
use common::{generate, oracle};
use org_insights::pipeline::{run, RunRequest};
use org_insights::runner::RunControl;
use serde_json::Value;

fn check_seed(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let base =
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(rng.i64(0..400));
    let bundle = generate::random_bundle(&mut rng, base);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let formats = generate::write_bundle(&mut rng, &bundle, &data);

    let latest = bundle.activity.iter().flatten().map(|r| r.date).max();
    let explicit = latest.is_none() || rng.bool();
    let as_of = if explicit { base } else { latest.unwrap() };

    let request = RunRequest {
        as_of: explicit.then_some(as_of),
        ..RunRequest::new(data.clone(), dir.path().join("out"))
    };
    let outcome = run(&request, &RunControl::default())
        .unwrap_or_else(|err| panic!("seed {seed} ({formats:?}): {err:#}"));
    assert_eq!(outcome.as_of, as_of, "seed {seed}: as_of");

    let json: Value =
        serde_json::from_slice(&std::fs::read(outcome.report_dir.join("insights.json")).unwrap())
            .unwrap();
    let (expected, expected_missing) = oracle::expected(&bundle, as_of);
    for (key, want) in expected.as_object().unwrap() {
        let got = &json["insights"][key];
        assert_eq!(got, want, "seed {seed}, insight {key}, files {formats:?}");
    }
    let missing: Vec<&String> = json["missing"].as_object().unwrap().keys().collect();
    let want_missing: Vec<&String> = expected_missing.as_object().unwrap().keys().collect();
    assert_eq!(missing, want_missing, "seed {seed}: missing");
    assert_eq!(json["as_of"], Value::from(as_of.to_string()));
    assert_eq!(json["window_days"], Value::from(30));
    assert_eq!(json["schema_version"], Value::from(1));
}

#[test]
fn random_bundles_match_the_independent_oracle() {
    let seeds: u64 = std::env::var("ORACLE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    for seed in 0..seeds {
        check_seed(seed);
    }
}
