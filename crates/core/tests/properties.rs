//! Property tests of the safety properties every guideline must keep
//! (`shared/spec/triage-levels.md`), run on generated courses against the
//! shipped guideline:
//!
//! 1. monotonic in evidence: adding a symptom to the last check-in, or
//!    raising one of its answers, never lowers the level;
//! 2. monotonic in time: the same course reported later never gives a
//!    lower level;
//! 3. no red flag below its floor: the probes of `safety::probes()` grown
//!    into many courses, and random courses judged by an oracle written
//!    here from the wording of the guidance (not from the guideline file);
//! 4. every rule cites known guidance, and every id the code knows is in
//!    the guidance sheet;
//! 5. determinism, also through a JSON round trip of the course.
//!
//! Failing cases are not saved to a `proptest-regressions` folder; a
//! failure prints the course in the check-in format, ready for
//! `aftercare triage --json`.

use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::LazyLock;

use aftercare_core::course::{CaffeineCups, DurationMinutes, SleepHours};
use aftercare_core::safety::{self, Probe, checkin_at, probe_treatment};
use aftercare_core::sources::{self, FACTS, RED_FLAGS};
use aftercare_core::vocabulary::{Frequency, Hydration, Interference, Pressure, Side, Stress};
use aftercare_core::{
    Checkin, Context, Course, Guideline, Level, Modality, Region, Severity, Symptom, SymptomKind,
    Timestamp, Treatment, triage,
};
use proptest::prelude::*;
use proptest::sample::select;
use time::Duration;

static SHIPPED: LazyLock<Guideline> = LazyLock::new(Guideline::shipped);
static PROBES: LazyLock<Vec<Probe>> = LazyLock::new(safety::probes);

fn level(course: &Course) -> Level {
    triage(&SHIPPED, course).level
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- Generators ---------------------------------------------------------------

/// Hours after the treatment the guidance draws lines at (1, 2, 3, 7 and 14
/// days), with a neighbour on each side.
const BOUNDARY_HOURS: &[i64] = &[
    0, 1, 23, 24, 25, 47, 48, 49, 71, 72, 73, 167, 168, 169, 335, 336, 337,
];

/// Hours after the treatment: often at a boundary, mostly in the first
/// four days, sometimes anywhere in five weeks.
fn hours() -> impl Strategy<Value = i64> {
    prop_oneof![2 => select(BOUNDARY_HOURS), 2 => 0_i64..=96, 1 => 0_i64..=840]
}

/// The symptoms of a check-in: mostly few, because one more symptom can
/// hide what a rule does with another, sometimes up to five.
fn symptoms() -> impl Strategy<Value = Vec<Symptom>> {
    prop_oneof![
        3 => prop::collection::vec(symptom(), 0..=2),
        1 => prop::collection::vec(symptom(), 0..=5),
    ]
}

/// How much later: often a little, sometimes up to about two weeks.
fn delay() -> impl Strategy<Value = i64> {
    prop_oneof![1_i64..=30, 1_i64..=400]
}

/// Unstated (`None`) in about 40% of draws (half for yes/no answers),
/// otherwise any of `values`.
/// A `select` from a list shrinks towards its start, here "unstated", and
/// is much cheaper in a debug build than `prop::option::weighted`.
fn maybe<T: Clone + std::fmt::Debug + 'static>(
    values: impl IntoIterator<Item = T>,
) -> impl Strategy<Value = Option<T>> {
    let stated: Vec<Option<T>> = values.into_iter().map(Some).collect();
    let unstated = (stated.len() * 2).div_ceil(3);
    let mut options = vec![None; unstated];
    options.extend(stated);
    select(options)
}

fn symptom() -> impl Strategy<Value = Symptom> {
    let flag = || maybe([false, true]);
    (
        select(SymptomKind::ALL),
        maybe(Severity::ALL.iter().copied()),
        maybe(Frequency::ALL.iter().copied()),
        maybe(Interference::ALL.iter().copied()),
        (
            maybe(Region::ALL.iter().copied()),
            maybe(Region::ALL.iter().copied()),
        ),
        maybe(Side::ALL.iter().copied()),
        (flag(), flag(), flag()),
    )
        .prop_map(
            |(kind, severity, frequency, interference, regions, side, flags)| {
                let mut symptom = Symptom::new(kind);
                symptom.severity = severity;
                symptom.frequency = frequency;
                symptom.interference = interference;
                symptom.regions = [regions.0, regions.1].into_iter().flatten().collect();
                symptom.side = side;
                (symptom.painful, symptom.sudden, symptom.warm_or_red) = flags;
                symptom
            },
        )
}

fn context() -> impl Strategy<Value = Context> {
    let flag = || maybe([false, true]);
    (
        maybe(Hydration::ALL.iter().copied()),
        // Halves and whole cups: exact in JSON, so a round trip keeps them.
        maybe((0_u8..=48).map(|half_hours| {
            SleepHours::new(f64::from(half_hours) / 2.0).expect("0 to 24 hours of sleep")
        })),
        maybe(Stress::ALL.iter().copied()),
        maybe((0_u8..=12).map(|cups| CaffeineCups::new(f64::from(cups)).expect("0 to 50 cups"))),
        (flag(), flag(), flag(), flag()),
    )
        .prop_map(
            |(hydration, sleep_hours, stress, caffeine_cups, flags)| Context {
                hydration,
                sleep_hours,
                stress,
                caffeine_cups,
                new_medication: flags.0,
                strenuous_exercise: flags.1,
                pregnant: flags.2,
                anticoagulants: flags.3,
            },
        )
}

/// A random treatment at the probes' treatment time.
fn treatment() -> impl Strategy<Value = Treatment> {
    (
        select(Modality::ALL),
        maybe(Pressure::ALL.iter().copied()),
        maybe(
            [1, 30, 45, 60, 90, 120, 480]
                .map(|minutes| DurationMinutes::new(minutes).expect("1 to 480 minutes")),
        ),
        prop::collection::vec(select(Region::ALL), 0..=3),
    )
        .prop_map(|(modality, pressure, duration_min, regions)| Treatment {
            at: probe_treatment().at,
            modality,
            pressure,
            duration_min,
            regions,
        })
}

/// Free text is never read by the rules; a few notes that JSON must escape.
const NOTES: [&str; 4] = [
    "calf still tight",
    "\"quoted\" \\ back\\slash",
    "ça tire un peu 🙂",
    "line\nbreak\ttab",
];

/// Check-ins in time order.
fn checkins(count: RangeInclusive<usize>) -> impl Strategy<Value = Vec<Checkin>> {
    prop::collection::vec(
        (
            hours(),
            symptoms(),
            context(),
            maybe(NOTES.map(String::from)),
        ),
        count,
    )
    .prop_map(|mut drafts| {
        drafts.sort_by_key(|(hours, ..)| *hours);
        drafts
            .into_iter()
            .map(|(hours, symptoms, context, note)| Checkin {
                context,
                note,
                ..checkin_at(hours, symptoms)
            })
            .collect()
    })
}

fn course(checkin_count: RangeInclusive<usize>) -> impl Strategy<Value = Course> {
    (treatment(), checkins(checkin_count)).prop_map(|(treatment, checkins)| Course {
        treatment,
        checkins,
    })
}

/// One more thing said about a symptom; applied by [`state`], which only
/// ever adds: a scale answer is raised (never to `none`/`never`), a yes/no
/// answer that is unstated is stated and a `true` stays `true`, a side is
/// stated only where none was, a region is only added to those given.
#[derive(Clone, Copy, Debug)]
enum More {
    Severity(Severity),
    Frequency(Frequency),
    Interference(Interference),
    Painful(bool),
    Sudden(bool),
    WarmOrRed(bool),
    Side(Side),
    Region(Region),
}

fn raised_answer() -> impl Strategy<Value = More> {
    prop_oneof![
        select(&Severity::ALL[1..]).prop_map(More::Severity),
        select(&Frequency::ALL[1..]).prop_map(More::Frequency),
        select(Interference::ALL).prop_map(More::Interference),
    ]
}

fn stated_qualifier() -> impl Strategy<Value = More> {
    prop_oneof![
        any::<bool>().prop_map(More::Painful),
        any::<bool>().prop_map(More::Sudden),
        any::<bool>().prop_map(More::WarmOrRed),
        select(Side::ALL).prop_map(More::Side),
        select(Region::ALL).prop_map(More::Region),
    ]
}

fn state(symptom: &mut Symptom, more: More) {
    fn raise<T: Ord>(answer: &mut Option<T>, to: T) {
        if answer.as_ref().is_none_or(|now| *now < to) {
            *answer = Some(to);
        }
    }
    fn yes_stays(answer: &mut Option<bool>, to: bool) {
        *answer = Some(answer.unwrap_or(false) || to);
    }
    match more {
        More::Severity(to) => raise(&mut symptom.severity, to),
        More::Frequency(to) => raise(&mut symptom.frequency, to),
        More::Interference(to) => raise(&mut symptom.interference, to),
        More::Painful(to) => yes_stays(&mut symptom.painful, to),
        More::Sudden(to) => yes_stays(&mut symptom.sudden, to),
        More::WarmOrRed(to) => yes_stays(&mut symptom.warm_or_red, to),
        More::Side(side) => {
            symptom.side.get_or_insert(side);
        }
        // A symptom with no region given may be anywhere (the engine's
        // safer reading), so naming the first region narrows rather than
        // adds; only a further region is "more".
        More::Region(region) => {
            if !symptom.regions.is_empty() && !symptom.regions.contains(&region) {
                symptom.regions.push(region);
            }
        }
    }
}

/// Every raise of one answer above what it is now, lowest first: a ladder
/// from the current answer to the top of each scale.
fn ladders(symptom: &Symptom) -> [Vec<More>; 3] {
    [
        Severity::ALL[1..]
            .iter()
            .filter(|to| symptom.severity < Some(**to))
            .map(|to| More::Severity(*to))
            .collect(),
        Frequency::ALL[1..]
            .iter()
            .filter(|to| symptom.frequency < Some(**to))
            .map(|to| More::Frequency(*to))
            .collect(),
        Interference::ALL
            .iter()
            .filter(|to| symptom.interference < Some(**to))
            .map(|to| More::Interference(*to))
            .collect(),
    ]
}

/// A change to the last check-in that only adds evidence. Symptoms are
/// picked by number, modulo how many there are.
#[derive(Clone, Debug)]
enum Change {
    /// Add a symptom at a position.
    Add(usize, Symptom),
    /// Say more about one of its symptoms.
    More(usize, More),
}

fn apply(course: &mut Course, change: &Change) {
    let last = course
        .checkins
        .last_mut()
        .expect("a course with a check-in");
    match change {
        Change::Add(at, symptom) => {
            let position = at % (last.symptoms.len() + 1);
            last.symptoms.insert(position, symptom.clone());
        }
        Change::More(which, more) => {
            if !last.symptoms.is_empty() {
                let index = which % last.symptoms.len();
                state(&mut last.symptoms[index], *more);
            }
        }
    }
}

/// The course, and when its last check-in has several symptoms, the course
/// with each of them alone in the last check-in: one symptom can hide what
/// a rule does with another, and triage is cheap next to generating.
fn focused(course: &Course) -> Vec<Course> {
    let mut variants = vec![course.clone()];
    let symptoms = course
        .checkins
        .last()
        .map_or(&[][..], |last| &last.symptoms[..]);
    if symptoms.len() > 1 {
        for symptom in symptoms {
            let mut variant = course.clone();
            if let Some(last) = variant.checkins.last_mut() {
                last.symptoms = vec![symptom.clone()];
            }
            variants.push(variant);
        }
    }
    variants
}

/// Applies the changes one by one and fails at the first that lowers the level.
fn never_lowers(course: &Course, changes: &[Change]) -> Result<(), TestCaseError> {
    let mut course = course.clone();
    let mut before = level(&course);
    for change in changes {
        let previous = course.clone();
        apply(&mut course, change);
        let after = level(&course);
        prop_assert!(
            after >= before,
            "{change:?} lowered the level from `{before}` to `{after}`\nbefore: {}\nafter:  {}",
            previous.to_json(),
            course.to_json()
        );
        before = after;
    }
    Ok(())
}

fn hour(hours: i64) -> Timestamp {
    checkin_at(hours, Vec::new()).at
}

fn later(at: Timestamp, hours: i64) -> Timestamp {
    Timestamp::new(at.get() + Duration::hours(hours))
}

fn hours_after_treatment(course: &Course, at: Timestamp) -> i64 {
    at.hours_since(course.treatment.at).floor() as i64
}

/// Later and later times for the last check-in of `course`: each boundary
/// of the guidance after it, and the random delays, in order.
fn later_times(course: &Course, delays: &[i64]) -> Vec<i64> {
    let last = course.checkins.last().expect("a course with a check-in");
    let now = hours_after_treatment(course, last.at);
    let mut times: Vec<i64> = BOUNDARY_HOURS
        .iter()
        .copied()
        .chain(delays.iter().scan(now, |at, delay| {
            *at += delay;
            Some(*at)
        }))
        .filter(|at| *at > now)
        .collect();
    times.sort_unstable();
    times.dedup();
    times
}

// --- 1. Monotonic in evidence ----------------------------------------------------

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn adding_a_symptom_to_the_last_checkin_never_lowers_the_level(
        course in course(1..=4),
        added in prop::collection::vec((0_usize..8, symptom()), 1..=4),
    ) {
        let changes: Vec<Change> = added.into_iter().map(|(at, symptom)| Change::Add(at, symptom)).collect();
        for base in focused(&course) {
            never_lowers(&base, &changes)?;
        }
    }

    /// Random raises together, and each scale of each symptom raised step
    /// by step to its top.
    #[test]
    fn raising_severity_frequency_or_interference_never_lowers_the_level(
        course in course(1..=4),
        raised in prop::collection::vec((0_usize..8, raised_answer()), 1..=6),
    ) {
        let changes: Vec<Change> = raised.into_iter().map(|(which, more)| Change::More(which, more)).collect();
        for base in focused(&course) {
            never_lowers(&base, &changes)?;
            let last = base.checkins.last().expect("a course with a check-in");
            for (which, symptom) in last.symptoms.iter().enumerate() {
                for ladder in ladders(symptom) {
                    let steps: Vec<Change> = ladder.into_iter().map(|more| Change::More(which, more)).collect();
                    never_lowers(&base, &steps)?;
                }
            }
        }
    }

    /// Beyond the letter of the spec: stating a yes/no answer, a side or
    /// one more region is more evidence too.
    #[test]
    fn stating_more_about_a_symptom_never_lowers_the_level(
        course in course(1..=4),
        stated in prop::collection::vec((0_usize..8, stated_qualifier()), 1..=6),
    ) {
        let changes: Vec<Change> = stated.into_iter().map(|(which, more)| Change::More(which, more)).collect();
        for base in focused(&course) {
            never_lowers(&base, &changes)?;
            let last = base.checkins.last().expect("a course with a check-in");
            for which in 0..last.symptoms.len() {
                let each = [More::Painful(true), More::Sudden(true), More::WarmOrRed(true)]
                    .into_iter()
                    .chain(Side::ALL.iter().map(|side| More::Side(*side)));
                for more in each {
                    never_lowers(&base, &[Change::More(which, more)])?;
                }
            }
        }
    }
}

// --- 2. Monotonic in time -------------------------------------------------------

proptest! {
    #![proptest_config(config(2000))]

    /// The last check-in moved to each boundary of the guidance after it
    /// and by random delays, one after another.
    #[test]
    fn reporting_the_last_checkin_later_never_lowers_the_level(
        course in course(1..=4),
        delays in prop::collection::vec(delay(), 1..=3),
    ) {
        for base in focused(&course) {
            let mut course = base.clone();
            let mut before = level(&course);
            for at in later_times(&base, &delays) {
                let previous = course.clone();
                course.checkins.last_mut().expect("a course with a check-in").at = hour(at);
                let after = level(&course);
                prop_assert!(
                    after >= before,
                    "the last check-in moved to {at} h lowered the level from `{before}` to `{after}`\nbefore: {}\nafter:  {}",
                    previous.to_json(),
                    course.to_json()
                );
                before = after;
            }
        }
    }

    /// Every check-in shifted by the same hours, so that the last lands on
    /// each boundary after it and at random delays.
    #[test]
    fn shifting_every_checkin_later_after_the_treatment_never_lowers_the_level(
        course in course(1..=4),
        delays in prop::collection::vec(delay(), 1..=3),
    ) {
        for base in focused(&course) {
            let now = hours_after_treatment(&base, base.checkins.last().expect("a course with a check-in").at);
            let mut before = level(&base);
            let mut previous = base.clone();
            for at in later_times(&base, &delays) {
                let mut shifted = base.clone();
                for checkin in &mut shifted.checkins {
                    checkin.at = later(checkin.at, at - now);
                }
                let after = level(&shifted);
                prop_assert!(
                    after >= before,
                    "every check-in {} h later lowered the level from `{before}` to `{after}`\nbefore: {}\nafter:  {}",
                    at - now,
                    previous.to_json(),
                    shifted.to_json()
                );
                before = after;
                previous = shifted;
            }
        }
    }
}

// --- 3. No red flag below its floor ----------------------------------------------

/// The red-flag floors of the guidance, section E, copied by hand from the
/// sheet (checked against it and against `sources::RED_FLAGS` below).
const FLOORS: &[(&str, Level)] = &[
    ("R1", Level::Emergency),
    ("R2", Level::Emergency),
    ("R3", Level::Emergency),
    ("R4", Level::Emergency),
    ("R5", Level::Emergency),
    ("R6", Level::Urgent),
    ("R7", Level::Urgent),
    ("R8", Level::Urgent),
    ("R9", Level::Urgent),
    ("R10", Level::SeeDoctor),
    ("R11", Level::SeeDoctor),
    ("R12", Level::ContactTherapist),
    ("R13", Level::SeeDoctor),
    ("R14", Level::SeeDoctor),
    ("R15", Level::SeeDoctor),
    ("R16", Level::ContactTherapist),
    ("R17", Level::ContactTherapist),
    ("R18", Level::ContactTherapist),
    ("R19", Level::ContactTherapist),
];

fn floor_of(id: &str) -> Level {
    let Some((_, floor)) = FLOORS.iter().find(|(flag, _)| *flag == id) else {
        panic!("no floor for {id}");
    };
    *floor
}

/// The person has it: listed, and not answered with severity `none` or
/// frequency `never`.
fn has_it(symptom: &Symptom) -> bool {
    symptom.severity != Some(Severity::None) && symptom.frequency != Some(Frequency::Never)
}

fn one_sided(symptom: &Symptom) -> bool {
    matches!(symptom.side, Some(Side::Left | Side::Right))
}

/// In a leg. A symptom of the whole body counts: on one side of the whole
/// body includes that leg, and the safer reading wins.
fn in_a_leg(symptom: &Symptom) -> bool {
    symptom
        .regions
        .iter()
        .any(|region| *region == Region::WholeBody || Region::LEGS.contains(region))
}

fn yes(answer: Option<bool>) -> bool {
    answer == Some(true)
}

fn at_least_severe(symptom: &Symptom) -> bool {
    matches!(
        symptom.severity,
        Some(Severity::Severe | Severity::VerySevere)
    )
}

/// Kinds in the last check-in with some answer higher than the highest
/// answer for that kind at the check-in before (scales stated in both).
fn worse_than_before(course: &Course) -> Vec<SymptomKind> {
    let [.., previous, last] = course.checkins.as_slice() else {
        return Vec::new();
    };
    let scales: [fn(&Symptom) -> Option<usize>; 3] = [
        |symptom| symptom.severity.map(Severity::index),
        |symptom| symptom.frequency.map(Frequency::index),
        |symptom| symptom.interference.map(Interference::index),
    ];
    last.symptoms
        .iter()
        .filter(|now| has_it(now))
        .filter(|now| {
            scales.iter().any(|scale| {
                let then = previous
                    .symptoms
                    .iter()
                    .filter(|then| then.kind == now.kind && has_it(then))
                    .filter_map(scale)
                    .max();
                matches!((scale(now), then), (Some(now), Some(then)) if now > then)
            })
        })
        .map(|now| now.kind)
        .collect()
}

/// The red flags of the guidance (section E) that the last check-in shows,
/// read from the wording of the sheet.
fn red_flags(course: &Course) -> Vec<&'static str> {
    use SymptomKind::{
        Breathlessness, Bruising, ChestPain, CoordinationLoss, Cramp, DarkUrine, Fainting, Fever,
        Headache, JointPain, NumbnessTingling, Palpitations, Soreness, Swelling, Twitching,
        Weakness,
    };
    let Some(last) = course.checkins.last() else {
        return Vec::new();
    };
    let after = last.at.hours_since(course.treatment.at);
    let now: Vec<&Symptom> = last
        .symptoms
        .iter()
        .filter(|symptom| has_it(symptom))
        .collect();
    let some = |test: &dyn Fn(&Symptom) -> bool| now.iter().any(|symptom| test(symptom));
    let has = |kind: SymptomKind| some(&|symptom| symptom.kind == kind);
    let worse = worse_than_before(course);
    let twitching = has(Twitching);
    let breathless = has(Breathlessness);
    let one_sided_leg_swelling =
        some(&|symptom| symptom.kind == Swelling && one_sided(symptom) && in_a_leg(symptom));
    let one_sided_warm_leg_pain = some(&|symptom| {
        (matches!(symptom.kind, Soreness | Cramp | JointPain) || yes(symptom.painful))
            && one_sided(symptom)
            && yes(symptom.warm_or_red)
            && in_a_leg(symptom)
    });

    let findings = [
        ("R1", has(ChestPain)),
        (
            "R2",
            some(&|symptom| symptom.kind == Breathlessness && yes(symptom.sudden))
                || (breathless && one_sided_leg_swelling),
        ),
        (
            "R3",
            some(&|symptom| {
                matches!(symptom.kind, Weakness | NumbnessTingling)
                    && yes(symptom.sudden)
                    && one_sided(symptom)
            }),
        ),
        (
            "R4",
            some(&|symptom| {
                symptom.kind == Headache
                    && yes(symptom.sudden)
                    && symptom.severity == Some(Severity::VerySevere)
            }),
        ),
        (
            "R5",
            has(Fainting) && (has(ChestPain) || breathless || has(Palpitations)),
        ),
        ("R6", one_sided_leg_swelling || one_sided_warm_leg_pain),
        ("R7", has(DarkUrine)),
        ("R8", breathless),
        (
            "R9",
            some(&|symptom| symptom.kind == Weakness && one_sided(symptom)),
        ),
        ("R10", twitching && (has(Weakness) || has(CoordinationLoss))),
        ("R11", twitching && after > 14.0 * 24.0),
        ("R12", twitching && after > 7.0 * 24.0),
        (
            "R13",
            some(&|symptom| symptom.kind == Twitching && yes(symptom.painful)) && after > 72.0,
        ),
        ("R14", has(NumbnessTingling) && after > 72.0),
        ("R15", has(Fever)),
        ("R16", has(Fainting)),
        (
            "R17",
            some(&|symptom| symptom.kind == Soreness && at_least_severe(symptom))
                || (worse.contains(&Soreness) && after > 48.0),
        ),
        (
            "R18",
            some(&|symptom| symptom.kind == Bruising && at_least_severe(symptom))
                || (has(Bruising) && yes(last.context.anticoagulants)),
        ),
        ("R19", !worse.is_empty() && after > 48.0),
    ];
    findings
        .into_iter()
        .filter_map(|(id, shown)| shown.then_some(id))
        .collect()
}

/// How a probe is grown: only ever adding to what it shows.
#[derive(Clone, Debug)]
struct Growth {
    /// Which probe, by number.
    probe: usize,
    treatment: Treatment,
    shift_all: i64,
    delay_last: i64,
    /// More about the probe's own symptoms (picked modulo their number).
    more: Vec<(usize, More)>,
    /// Other symptoms, at positions modulo the number of symptoms.
    extra: Vec<(usize, Symptom)>,
    context: Context,
    /// Earlier check-ins, at a percentage of the time of the probe's first.
    earlier: Vec<(u8, Vec<Symptom>, Context)>,
}

fn growth() -> impl Strategy<Value = Growth> {
    (
        0..PROBES.len(),
        treatment(),
        prop_oneof![1 => Just(0_i64), 2 => 0_i64..=400],
        prop_oneof![1 => Just(0_i64), 2 => 0_i64..=400],
        prop::collection::vec(
            (0_usize..8, prop_oneof![raised_answer(), stated_qualifier()]),
            0..=4,
        ),
        prop::collection::vec((0_usize..8, symptom()), 0..=3),
        context(),
        prop::collection::vec(
            (
                0_u8..=100,
                prop::collection::vec(symptom(), 0..=3),
                context(),
            ),
            0..=3,
        ),
    )
        .prop_map(
            |(probe, treatment, shift_all, delay_last, more, extra, context, earlier)| Growth {
                probe,
                treatment,
                shift_all,
                delay_last,
                more,
                extra,
                context,
                earlier,
            },
        )
}

/// The probe's context wins wherever it says something.
fn keep(probe: &Context, random: &Context) -> Context {
    Context {
        hydration: probe.hydration.or(random.hydration),
        sleep_hours: probe.sleep_hours.or(random.sleep_hours),
        stress: probe.stress.or(random.stress),
        caffeine_cups: probe.caffeine_cups.or(random.caffeine_cups),
        new_medication: probe.new_medication.or(random.new_medication),
        strenuous_exercise: probe.strenuous_exercise.or(random.strenuous_exercise),
        pregnant: probe.pregnant.or(random.pregnant),
        anticoagulants: probe.anticoagulants.or(random.anticoagulants),
    }
}

fn grow(probe: &Probe, growth: Growth) -> Course {
    let mut course = probe.course.clone();
    course.treatment = growth.treatment;
    for checkin in &mut course.checkins {
        checkin.at = later(checkin.at, growth.shift_all);
    }
    let last = course.checkins.last_mut().expect("a probe has a check-in");
    last.at = later(last.at, growth.delay_last);
    // Say more about the probe's own symptoms first, then add others.
    for (which, more) in growth.more {
        let index = which % last.symptoms.len();
        state(&mut last.symptoms[index], more);
    }
    for (at, symptom) in growth.extra {
        let position = at % (last.symptoms.len() + 1);
        last.symptoms.insert(position, symptom);
    }
    last.context = keep(&last.context, &growth.context);
    // Earlier check-ins go before the probe's first, so none comes between
    // the check-ins of a probe about getting worse.
    let treatment_at = course.treatment.at;
    let first = course.checkins[0].at.hours_since(treatment_at).floor() as i64;
    let mut earlier: Vec<Checkin> = growth
        .earlier
        .into_iter()
        .map(|(percent, symptoms, context)| Checkin {
            context,
            ..checkin_at(first * i64::from(percent) / 100, symptoms)
        })
        .collect();
    earlier.sort_by_key(|checkin| checkin.at);
    course.checkins.splice(0..0, earlier);
    course
}

proptest! {
    #![proptest_config(config(4000))]

    #[test]
    fn grown_red_flag_probes_never_fall_below_their_floor(growth in growth()) {
        let probe = &PROBES[growth.probe];
        let course = grow(probe, growth);
        prop_assert!(course.check_time_order().is_ok(), "the generator broke time order");
        let got = level(&course);
        prop_assert!(
            got >= probe.flag.floor,
            "{} ({}) answered `{got}`, below its floor `{}`\n{}",
            probe.flag.id,
            probe.name,
            probe.flag.floor,
            course.to_json()
        );
        // The oracle below must see the flag the probe shows.
        let seen = red_flags(&course);
        prop_assert!(
            seen.contains(&probe.flag.id),
            "the test's oracle misses {} ({}); it sees {seen:?}\n{}",
            probe.flag.id,
            probe.name,
            course.to_json()
        );
    }

    #[test]
    fn random_courses_never_fall_below_the_floor_of_a_red_flag_they_show(
        course in course(0..=4),
        more in prop::collection::vec(symptom(), 0..=4),
    ) {
        // More symptoms in the last check-in, for red flags that need two.
        let mut course = course;
        if let Some(last) = course.checkins.last_mut() {
            last.symptoms.extend(more);
        }
        for course in focused(&course) {
            let got = level(&course);
            for flag in red_flags(&course) {
                let floor = floor_of(flag);
                prop_assert!(
                    got >= floor,
                    "{flag} is shown but the level is `{got}`, below its floor `{floor}`\n{}",
                    course.to_json()
                );
            }
        }
    }
}

#[test]
fn the_shipped_guideline_passes_the_floor_check() {
    let violations = safety::check_floors(&SHIPPED);
    assert!(
        violations.is_empty(),
        "floors broken:\n{}",
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_red_flag_has_a_probe_and_the_hand_copied_floor() {
    for flag in RED_FLAGS {
        assert!(
            PROBES.iter().any(|probe| probe.flag.id == flag.id),
            "no probe for {}",
            flag.id
        );
        assert_eq!(flag.floor, floor_of(flag.id), "floor of {}", flag.id);
    }
    assert_eq!(
        FLOORS.len(),
        RED_FLAGS.len(),
        "red flags in the code and in this test"
    );
}

// --- 4. Every rule names known guidance ---------------------------------------------

#[test]
fn every_shipped_rule_names_at_least_one_known_source() {
    for rule in &SHIPPED.rules {
        assert!(!rule.sources.is_empty(), "rule {} names no source", rule.id);
        for source in &rule.sources {
            assert!(
                sources::is_known_source(source),
                "rule {} names unknown source {source}",
                rule.id
            );
        }
    }
}

#[test]
fn every_guidance_id_in_the_code_is_in_the_guidance_sheet() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/guidance/post-treatment-guidance.md");
    let Ok(sheet) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED: every_guidance_id_in_the_code_is_in_the_guidance_sheet: no guidance sheet at {}",
            path.display()
        );
        return;
    };
    // Facts are written `**G3**`; a mention such as `G3` alone does not count.
    for (id, _) in FACTS {
        assert!(
            sheet.contains(&format!("**{id}**")),
            "fact {id} is not in the guidance sheet"
        );
    }
    let bold_facts = sheet.split("**G").skip(1).filter_map(|rest| {
        rest.split_once("**")
            .map(|(number, _)| format!("G{number}"))
    });
    for id in bold_facts {
        assert!(
            FACTS.iter().any(|(fact, _)| *fact == id),
            "fact {id} of the sheet is not in sources::FACTS"
        );
    }
    // Red flags are rows of the table in section E: `| R6 | finding | `urgent` | G16 |`.
    let rows: Vec<Vec<&str>> = sheet
        .lines()
        .map(|line| line.split('|').map(str::trim).collect::<Vec<_>>())
        .filter(|cells| {
            cells.len() >= 4 && cells[1].starts_with('R') && cells[1][1..].parse::<u32>().is_ok()
        })
        .collect();
    for flag in RED_FLAGS {
        let row = rows
            .iter()
            .find(|cells| cells[1] == flag.id)
            .unwrap_or_else(|| panic!("red flag {} is not in the guidance sheet", flag.id));
        assert_eq!(
            row[3].trim_matches('`'),
            flag.floor.as_str(),
            "floor of {} in the sheet and in sources::RED_FLAGS",
            flag.id
        );
    }
    for cells in &rows {
        assert!(
            RED_FLAGS.iter().any(|flag| flag.id == cells[1]),
            "red flag {} of the sheet is not in sources::RED_FLAGS",
            cells[1]
        );
    }
}

// --- 5. Determinism ----------------------------------------------------------------

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn the_same_course_always_gets_the_same_decision_bytes(course in course(0..=4)) {
        let first = triage(&SHIPPED, &course).to_json();
        let second = triage(&SHIPPED, &course).to_json();
        prop_assert_eq!(&first, &second, "triaged twice");
        let json = course.to_json();
        let back = Course::from_json(&json).expect("a generated course reads back");
        prop_assert_eq!(&back, &course, "the course changed through JSON: {}", json);
        prop_assert_eq!(back.to_json(), json);
        let third = triage(&SHIPPED, &back).to_json();
        prop_assert_eq!(&first, &third, "triaged after a JSON round trip");
    }
}
