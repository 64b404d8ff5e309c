//! The minijinja templates, compiled into the binary, and the admin's own
//! versions of them (`[output] templates = "DIR"`): a file in that folder
//! overrides the built-in template of the same name, the way mdBook's theme
//! folder does. Overrides are read and checked once, at start. Autoescaping
//! follows the file name: `.html` and `.svg` escape every value, `.txt`
//! and `.css` do not.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context as _;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::problems::{BadInput, Location, Problem, Problems};
use crate::support::words;

const TEMPLATES: [(&str, &str); 8] = [
    ("style.css", include_str!("../../templates/style.css")),
    ("report.html", include_str!("../../templates/report.html")),
    ("archive.html", include_str!("../../templates/archive.html")),
    ("chart.svg", include_str!("../../templates/chart.svg")),
    ("digest.html", include_str!("../../templates/digest.html")),
    ("digest.txt", include_str!("../../templates/digest.txt")),
    (
        "access-review.html",
        include_str!("../../templates/access-review.html"),
    ),
    (
        "evidence.html",
        include_str!("../../templates/evidence.html"),
    ),
];

/// The admin's templates, by name, once [`use_overrides`] has read them.
static OVERRIDES: OnceLock<Vec<(String, String)>> = OnceLock::new();

/// The templates, each the admin's version when there is one.
pub fn environment() -> anyhow::Result<Environment<'static>> {
    let overrides = OVERRIDES.get().map(Vec::as_slice).unwrap_or_default();
    let mut env = base();
    for (name, builtin) in TEMPLATES {
        let source = overrides
            .iter()
            .find(|(own, _)| own == name)
            .map(|(_, source)| source.clone())
            .unwrap_or_else(|| builtin.to_string());
        env.add_template_owned(name, source)
            .with_context(|| format!("loading the template {name}"))?;
    }
    Ok(env)
}

/// An environment with the project's settings and no templates.
fn base() -> Environment<'static> {
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
    env.add_filter("readable", readable);
    env.add_filter("product", product);
    env
}

/// Reads the templates in `dir` and checks each one: its name must be one
/// of the built-in templates and it must compile. A problem names the file
/// and, for a syntax error, the line. The first call wins: overrides are
/// read once, at start.
pub fn use_overrides(dir: &Path) -> Result<(), BadInput> {
    let mut problems = Problems::default();
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|err| {
        BadInput::about(
            "the configuration",
            Problem::file(
                dir.display().to_string(),
                format!("a folder of templates ([output] templates): {err}"),
            ),
        )
    })?;
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    let names: Vec<&str> = TEMPLATES.iter().map(|(name, _)| *name).collect();
    for path in paths.into_iter().filter(|p| p.is_file()) {
        let display = path.display().to_string();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !names.contains(&name.as_str()) {
            problems.push(Problem::file(
                display,
                format!("a template named one of {}", names.join(", ")),
            ));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(source) => match check(&name, &source) {
                Ok(()) => found.push((name, source)),
                Err(problem) => problems.push(Problem {
                    file: display,
                    ..problem
                }),
            },
            Err(err) => problems.push(Problem::file(
                display,
                format!("a readable UTF-8 text file ({err})"),
            )),
        }
    }
    problems.into_result()?;
    let _ = OVERRIDES.set(found);
    Ok(())
}

/// Compiles one template beside the built-in ones it may include.
fn check(name: &str, source: &str) -> Result<(), Problem> {
    let mut env = base();
    for (builtin, text) in TEMPLATES {
        if builtin != name {
            env.add_template(builtin, text).ok();
        }
    }
    env.add_template_owned(name.to_string(), source.to_string())
        .map_err(|err| Problem {
            file: String::new(),
            location: err
                .line()
                .map_or(Location::File, |line| Location::Line(line as u64)),
            column: None,
            value: None,
            expected: format!(
                "a valid minijinja template ({})",
                err.detail().unwrap_or("syntax error")
            ),
        })
}

/// `{{ key|product }}`: a product key in Atlassian's words.
fn product(key: String) -> String {
    words::product_name(&key)
}

/// `{{ figure|readable }}`: a count or a figure written as text, with
/// thousands separators (76176 -> 76,176); anything else as it is.
fn readable(value: Value) -> String {
    words::readable(&value.to_string())
}
