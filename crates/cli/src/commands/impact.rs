//! `aftercare guideline impact`: what switching to another guideline would
//! change. Courses are triaged under the current guideline and the new
//! one, one decision at every check-in (the course cut after that
//! check-in, as the service decided it when the check-in arrived), and
//! every decision whose level moves is listed with the rules behind it,
//! lower levels first.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use aftercare_core::impact::{Direction, Replayed, replay};
use aftercare_core::safety::{FloorViolation, check_floors};
use aftercare_core::{Checkin, Course, Guideline, Treatment};
use aftercare_store::StoreError;
use serde_json::{Value, json};

use super::admin::{Use, open_store};
use super::{Failure, golden, load_guideline, print};
use crate::settings::DatabaseArgs;

/// What `aftercare guideline impact` was asked.
pub struct ImpactArgs<'a> {
    /// The guideline a clinic would switch to.
    pub new: &'a Path,
    /// The guideline it uses now; the shipped one when not given.
    pub old: Option<&'a Path>,
    /// A folder of golden cases to replay instead of the built-in suite.
    pub cases: Option<&'a Path>,
    /// Print JSON instead of the readable report.
    pub json: bool,
}

/// One course to replay, named for the report.
struct Named {
    name: String,
    course: Course,
}

/// A decision whose level moved, or that rests on other rules.
struct Change {
    course: String,
    checkins: usize,
    replayed: Replayed,
}

/// Where the replayed courses came from.
enum Origin {
    Golden(String),
    Database { clinics: usize },
}

/// Replays the courses under both guidelines and prints what would change.
/// Exits 0 whatever changed; 2 when a guideline, case or argument is not
/// usable.
pub async fn impact(database: &DatabaseArgs, args: &ImpactArgs<'_>) -> Result<ExitCode, Failure> {
    let new = load_guideline(Some(args.new))?;
    let old = load_guideline(args.old)?;
    let (origin, courses) = if args.cases.is_none() && database.database_url.is_some() {
        let (clinics, courses) = stored_courses(database).await?;
        (Origin::Database { clinics }, courses)
    } else {
        let cases = golden::load(args.cases)?;
        let courses = cases
            .into_iter()
            .map(|case| Named {
                name: case.name,
                course: case.course,
            })
            .collect();
        (Origin::Golden(golden::origin(args.cases)), courses)
    };

    let mut decisions = 0;
    let mut counts: BTreeMap<Direction, usize> = BTreeMap::new();
    let mut other_rules = 0;
    let mut changes = Vec::new();
    for named in &courses {
        for replayed in replay(&old, &new, &named.course) {
            decisions += 1;
            let direction = replayed.direction();
            *counts.entry(direction).or_default() += 1;
            if direction == Direction::Same {
                other_rules += usize::from(replayed.rules_differ());
                continue;
            }
            changes.push(Change {
                course: named.name.clone(),
                checkins: named.course.checkins.len(),
                replayed,
            });
        }
    }
    changes.sort_by(|a, b| {
        let (x, y) = (&a.replayed, &b.replayed);
        x.direction()
            .cmp(&y.direction())
            // Lower levels: the most serious old level first, then the
            // deepest drop; higher levels: the most serious new level first.
            .then_with(|| match x.direction() {
                Direction::Down => y.old.cmp(&x.old).then_with(|| x.new.cmp(&y.new)),
                _ => y.new.cmp(&x.new).then_with(|| x.old.cmp(&y.old)),
            })
            .then_with(|| a.course.cmp(&b.course))
            .then_with(|| x.checkin.cmp(&y.checkin))
    });
    let report = Report {
        old: &old,
        old_file: args.old,
        new: &new,
        new_file: args.new,
        origin,
        courses: courses.len(),
        decisions,
        down: counts.get(&Direction::Down).copied().unwrap_or(0),
        up: counts.get(&Direction::Up).copied().unwrap_or(0),
        same: counts.get(&Direction::Same).copied().unwrap_or(0),
        other_rules,
        changes,
        floors_broken: check_floors(&new),
    };
    if args.json {
        print(&(report.to_json().to_string() + "\n"))?;
    } else {
        print(&report.for_people())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Every stored course of every clinic, read through the archive export
/// (one consistent snapshot per clinic, and nothing written).
async fn stored_courses(database: &DatabaseArgs) -> Result<(usize, Vec<Named>), Failure> {
    let store = open_store(database, Use::Read).await?;
    let clinics = store.clinics().await?;
    let mut courses = Vec::new();
    for clinic in &clinics {
        let archive = store.export_clinic(&clinic.id).await?;
        let mut checkins: BTreeMap<&str, Vec<(i64, Checkin)>> = BTreeMap::new();
        for row in &archive.checkins {
            let checkin = serde_json::from_str(&row.body).map_err(|error| {
                StoreError::Corrupt(format!("check-in {}: body: {error}", row.id))
            })?;
            checkins
                .entry(row.treatment_id.as_str())
                .or_default()
                .push((row.seq, checkin));
        }
        for row in &archive.treatments {
            let treatment: Treatment = serde_json::from_str(&row.details).map_err(|error| {
                StoreError::Corrupt(format!("treatment {}: details: {error}", row.id))
            })?;
            let mut ordered = checkins.remove(row.id.as_str()).unwrap_or_default();
            ordered.sort_by_key(|(seq, _)| *seq);
            courses.push(Named {
                name: format!("treatment {}", row.id),
                course: Course {
                    treatment,
                    checkins: ordered.into_iter().map(|(_, checkin)| checkin).collect(),
                },
            });
        }
    }
    store.close().await;
    Ok((clinics.len(), courses))
}

/// Everything the report says.
struct Report<'a> {
    old: &'a Guideline,
    old_file: Option<&'a Path>,
    new: &'a Guideline,
    new_file: &'a Path,
    origin: Origin,
    courses: usize,
    decisions: usize,
    down: usize,
    up: usize,
    same: usize,
    other_rules: usize,
    changes: Vec<Change>,
    floors_broken: Vec<FloorViolation>,
}

impl Report<'_> {
    fn for_people(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Guideline impact: {} {} ({}) replacing {} {} ({})",
            self.new.id,
            self.new.version,
            self.new_file.display(),
            self.old.id,
            self.old.version,
            self.old_file
                .map_or_else(|| "shipped".to_owned(), |file| file.display().to_string()),
        );
        let origin = match &self.origin {
            Origin::Golden(origin) => origin.clone(),
            Origin::Database { clinics } => format!(
                "the stored courses of the database ({clinics} clinic{})",
                plural(*clinics)
            ),
        };
        let _ = writeln!(
            out,
            "Replayed {} course{} from {origin}, one decision at every check-in: {} decision{}.\n",
            self.courses,
            plural(self.courses),
            self.decisions,
            plural(self.decisions),
        );
        let _ = writeln!(out, "  lower level:  {}", self.down);
        let _ = writeln!(out, "  higher level: {}", self.up);
        let _ = writeln!(
            out,
            "  same level:   {} ({} of them on other rules or rule levels)",
            self.same, self.other_rules
        );
        for (direction, heading) in [
            (Direction::Down, "Lower level, most serious first"),
            (Direction::Up, "Higher level"),
        ] {
            let changes: Vec<&Change> = self
                .changes
                .iter()
                .filter(|change| change.replayed.direction() == direction)
                .collect();
            if changes.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{heading} ({}):", changes.len());
            for change in changes {
                write_change(&mut out, change);
            }
        }
        out.push('\n');
        if self.floors_broken.is_empty() {
            let _ = writeln!(
                out,
                "Red-flag floors: the new guideline keeps every one (`aftercare guideline check`)."
            );
        } else {
            let _ = writeln!(
                out,
                "Red-flag floors: the new guideline answers {} probe{} below the floor:",
                self.floors_broken.len(),
                plural(self.floors_broken.len())
            );
            for violation in &self.floors_broken {
                let _ = writeln!(out, "  {violation}");
            }
        }
        out
    }

    fn to_json(&self) -> Value {
        let guideline = |guideline: &Guideline, file: Option<&Path>| {
            json!({
                "id": guideline.id,
                "version": guideline.version,
                "file": file.map(|file| file.display().to_string()),
            })
        };
        let source = match &self.origin {
            Origin::Golden(_) => json!({ "kind": "golden_cases" }),
            Origin::Database { clinics } => json!({ "kind": "database", "clinics": clinics }),
        };
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|change| {
                let replayed = &change.replayed;
                let fired = |rules: &[aftercare_core::impact::Fired]| -> Vec<Value> {
                    rules
                        .iter()
                        .map(|fired| json!({ "rule": fired.rule, "level": fired.level }))
                        .collect()
                };
                json!({
                    "course": change.course,
                    "checkin_index": replayed.checkin,
                    "checkins": change.checkins,
                    "direction": replayed.direction().as_str(),
                    "old_level": replayed.old,
                    "new_level": replayed.new,
                    "rules_added": fired(&replayed.added),
                    "rules_removed": fired(&replayed.removed),
                    "rules_relevelled": replayed.relevelled.iter().map(|rule| json!({
                        "rule": rule.rule,
                        "old_level": rule.old,
                        "new_level": rule.new,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "old_guideline": guideline(self.old, self.old_file),
            "new_guideline": guideline(self.new, Some(self.new_file)),
            "replayed": {
                "source": source,
                "courses": self.courses,
                "decisions": self.decisions,
                "at": "every_checkin",
            },
            "counts": {
                "down": self.down,
                "up": self.up,
                "same": self.same,
                "same_level_other_rules": self.other_rules,
            },
            "changes": changes,
            "floors_broken": self.floors_broken.iter().map(|violation| json!({
                "flag": violation.flag,
                "probe": violation.probe,
                "floor": violation.floor,
                "got": violation.got,
            })).collect::<Vec<_>>(),
        })
    }
}

/// One changed decision: where, the two levels, then the rules.
fn write_change(out: &mut String, change: &Change) {
    let replayed = &change.replayed;
    let at = match replayed.checkin {
        Some(index) => format!("check-in {} of {}", index + 1, change.checkins),
        None => "no check-in yet".to_owned(),
    };
    let _ = writeln!(
        out,
        "  {}, {at}: {} -> {}",
        change.course, replayed.old, replayed.new
    );
    for rule in &replayed.relevelled {
        let _ = writeln!(
            out,
            "      ~ {} now gives {} (was {})",
            rule.rule, rule.new, rule.old
        );
    }
    for fired in &replayed.removed {
        let _ = writeln!(
            out,
            "      - {} ({}) no longer fires",
            fired.rule, fired.level
        );
    }
    for fired in &replayed.added {
        let _ = writeln!(out, "      + {} ({}) now fires", fired.rule, fired.level);
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
