//! The minijinja templates, compiled into the binary. Autoescaping follows
//! the file name: `.html` and `.svg` escape every value, `.txt` does not.

use anyhow::Context as _;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

const TEMPLATES: [(&str, &str); 4] = [
    ("report.html", include_str!("../templates/report.html")),
    ("chart.svg", include_str!("../templates/chart.svg")),
    ("digest.html", include_str!("../templates/digest.html")),
    ("digest.txt", include_str!("../templates/digest.txt")),
];

pub fn environment() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    // A misspelt variable is an error, not an empty string in the report.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".svg") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .with_context(|| format!("loading the template {name}"))?;
    }
    Ok(env)
}
