//! Triage speed on a realistic five-check-in course with the shipped
//! guideline, from a parsed course and from JSON; on a course of 150
//! check-ins, from its start and with the course remembered from its
//! previous check-in (as the store's check-in writer triages); and
//! guideline loading.
//!
//! `cargo bench -p aftercare-core --bench triage`

use std::hint::black_box;

use aftercare_core::guideline::SHIPPED_TOML;
use aftercare_core::{Course, CourseMemory, Guideline, triage, triage_remembering};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Deep tissue work on calves and back; twitching and soreness that fade,
/// then come back worse with context that makes twitching likelier.
const COURSE: &str = r#"{
  "treatment": { "at": "2026-11-20T15:00:00Z", "modality": "deep_tissue", "pressure": "firm",
                 "duration_min": 75, "regions": ["calves", "hamstrings", "lower_back"] },
  "checkins": [
    { "at": "2026-11-20T21:00:00Z", "symptoms": [
        { "kind": "twitching", "severity": "mild", "frequency": "occasionally", "regions": ["calves"], "side": "both" },
        { "kind": "soreness", "severity": "moderate", "regions": ["calves", "lower_back"] },
        { "kind": "fatigue", "severity": "mild" } ] },
    { "at": "2026-11-21T15:00:00Z", "symptoms": [
        { "kind": "twitching", "severity": "mild", "frequency": "rarely", "regions": ["calves"], "side": "both" },
        { "kind": "soreness", "severity": "mild", "regions": ["calves"] } ],
      "context": { "hydration": "good", "sleep_hours": 7 } },
    { "at": "2026-11-23T15:00:00Z", "symptoms": [
        { "kind": "twitching", "severity": "mild", "frequency": "occasionally", "regions": ["calves"], "side": "left" } ],
      "context": { "sleep_hours": 5, "caffeine_cups": 4, "stress": "high" } },
    { "at": "2026-11-25T15:00:00Z", "symptoms": [
        { "kind": "twitching", "severity": "moderate", "frequency": "frequently", "interference": "a_little_bit",
          "regions": ["calves", "thighs"], "side": "both" },
        { "kind": "cramp", "severity": "mild", "regions": ["calves"] } ],
      "context": { "hydration": "low", "sleep_hours": 5.5 } },
    { "at": "2026-11-27T18:00:00Z", "symptoms": [
        { "kind": "twitching", "severity": "moderate", "frequency": "frequently", "interference": "somewhat",
          "regions": ["calves"], "side": "both", "painful": false },
        { "kind": "soreness", "severity": "mild", "regions": ["calves"] },
        { "kind": "headache", "severity": "mild" } ],
      "context": { "hydration": "low", "sleep_hours": 6, "stress": "moderate", "caffeine_cups": 3 },
      "note": "Twitching is more noticeable in the evenings." }
  ]
}"#;

fn benches(c: &mut Criterion) {
    let guideline = Guideline::shipped();
    let course = Course::from_json(COURSE).expect("bench course parses");
    let decision = triage(&guideline, &course);
    assert!(
        !decision.reasons.is_empty(),
        "the bench course must fire rules"
    );

    let mut group = c.benchmark_group("triage");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parsed_course", |b| {
        b.iter(|| triage(black_box(&guideline), black_box(&course)));
    });
    group.bench_function("json_in", |b| {
        b.iter(|| {
            let course = Course::from_json(black_box(COURSE)).expect("parses");
            triage(&guideline, &course).level
        });
    });
    group.bench_function("json_in_json_out", |b| {
        b.iter(|| {
            let course = Course::from_json(black_box(COURSE)).expect("parses");
            triage(&guideline, &course).to_json()
        });
    });
    // A long course: the engine walks every earlier check-in for red flags
    // still open (safety property 5), so its cost grows with the course.
    let mut long = course.clone();
    let last = long
        .checkins
        .last()
        .expect("bench course has check-ins")
        .clone();
    long.checkins.clear();
    for index in 0..150_i64 {
        let mut checkin = last.clone();
        checkin.at = aftercare_core::Timestamp::new(
            course.treatment.at.get() + time::Duration::hours(2 * index + 1),
        );
        long.checkins.push(checkin);
    }
    group.bench_function("parsed_course_150_checkins", |b| {
        b.iter(|| triage(black_box(&guideline), black_box(&long)));
    });
    // The same decisions with the course remembered from the check-in
    // before: only the new check-in is walked.
    let remembered = |course: &Course| {
        let mut before = course.clone();
        before.checkins.pop();
        let mut memory = CourseMemory::default();
        let _ = triage_remembering(&guideline, &before, &mut memory);
        memory
    };
    let three = Course {
        treatment: long.treatment.clone(),
        checkins: long.checkins[..3].to_vec(),
    };
    for (name, course) in [
        ("remembered_course_3_checkins", &three),
        ("remembered_course_150_checkins", &long),
    ] {
        let memory = remembered(course);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || memory.clone(),
                |memory| triage_remembering(black_box(&guideline), black_box(course), memory),
                criterion::BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    c.bench_function("guideline/load_shipped", |b| {
        b.iter(|| Guideline::from_toml(black_box(SHIPPED_TOML)).expect("loads"));
    });
}

criterion_group!(triage_benches, benches);
criterion_main!(triage_benches);
