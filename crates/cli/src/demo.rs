//! Demo data for `aftercare serve --demo`: a clinic with realistic courses
//! at every level, so a newcomer sees a full picture at once.

use aftercare_core::{Checkin, Guideline, Timestamp, Treatment};
use aftercare_store::secret::Secret;
use aftercare_store::{
    Actor, Clinic, Millis, NewClient, NewTreatment, Practitioner, Role, Store, now_millis,
};

use crate::commands::Failure;

const HOUR_MS: i64 = 3_600_000;

/// One demo course: who, what was done, and what they reported, with
/// times in hours after the treatment.
struct DemoCourse {
    client: &'static str,
    treated_hours_ago: i64,
    treatment: &'static str,
    checkins: &'static [(i64, &'static str)],
}

const COURSES: &[DemoCourse] = &[
    DemoCourse {
        client: "Alex Morgan",
        treated_hours_ago: 20,
        treatment: r#""modality":"deep_tissue","pressure":"firm","duration_min":60,"regions":["calves","lower_back"]"#,
        checkins: &[(
            6,
            r#"[{"kind":"twitching","severity":"mild","frequency":"occasionally","regions":["calves"],"side":"both"},{"kind":"soreness","severity":"moderate","regions":["lower_back"]}]"#,
        )],
    },
    DemoCourse {
        client: "Priya Shah",
        treated_hours_ago: 30,
        treatment: r#""modality":"myofascial_release","pressure":"moderate","duration_min":45,"regions":["neck","shoulders"]"#,
        checkins: &[(
            24,
            r#"[{"kind":"twitching","severity":"mild","regions":["shoulders"]}],"context":{"hydration":"low","sleep_hours":5,"caffeine_cups":4}"#,
        )],
    },
    DemoCourse {
        client: "Tom Becker",
        treated_hours_ago: 200,
        treatment: r#""modality":"sports","pressure":"deep","duration_min":50,"regions":["thighs","calves"]"#,
        checkins: &[
            (
                24,
                r#"[{"kind":"twitching","severity":"mild","regions":["calves"]}]"#,
            ),
            (
                72,
                r#"[{"kind":"twitching","severity":"mild","regions":["calves"]}]"#,
            ),
            (
                170,
                r#"[{"kind":"twitching","severity":"mild","frequency":"occasionally","regions":["calves"]}]"#,
            ),
        ],
    },
    DemoCourse {
        client: "Maria Rossi",
        treated_hours_ago: 40,
        treatment: r#""modality":"hot_stone","pressure":"light","duration_min":75,"regions":["upper_back"]"#,
        checkins: &[(
            30,
            r#"[{"kind":"fever","severity":"moderate"},{"kind":"fatigue","severity":"moderate"}]"#,
        )],
    },
    DemoCourse {
        client: "Sam Okafor",
        treated_hours_ago: 50,
        treatment: r#""modality":"sports","pressure":"deep","duration_min":60,"regions":["calves","hamstrings"]"#,
        checkins: &[
            (
                18,
                r#"[{"kind":"soreness","severity":"moderate","regions":["calves"],"side":"both"}]"#,
            ),
            (
                44,
                r#"[{"kind":"swelling","severity":"mild","regions":["calves"],"side":"left","warm_or_red":true}]"#,
            ),
        ],
    },
    DemoCourse {
        client: "Jo Lindqvist",
        treated_hours_ago: 5,
        treatment: r#""modality":"trigger_point","pressure":"firm","duration_min":40,"regions":["chest","shoulders"]"#,
        checkins: &[(
            4,
            r#"[{"kind":"chest_pain","severity":"moderate","sudden":true}]"#,
        )],
    },
];

/// Creates the demo clinic unless the database already has a clinic, and
/// prints how to look around.
pub async fn ensure_demo_clinic(
    store: &Store,
    guideline: &Guideline,
    public_url: &str,
) -> Result<(), Failure> {
    if !store.clinics().await?.is_empty() {
        eprintln!("--demo: the database already has a clinic; leaving it as it is");
        return Ok(());
    }
    let now = now_millis();
    let token = Secret::generate("act_");
    let (clinic, owner) = store
        .create_clinic(
            "Harbour Street Massage (demo)",
            "owner@demo.aftercare.example",
            "Sam Rivers",
            Some(&token.hash()),
            now,
        )
        .await?;
    let password = set_random_password(store, &clinic, &owner).await?;
    let therapist = store
        .create_practitioner(
            &clinic.id,
            &Actor::System,
            "robin@demo.aftercare.example",
            "Robin Lee",
            Role::Therapist,
            now,
        )
        .await?;
    let mut links = Vec::new();
    for course in COURSES {
        let link = add_course(store, guideline, &clinic, &therapist, course, now).await?;
        links.push((course.client, link));
    }
    print_how_to_look_around(public_url, &clinic, &owner, &token, &password, &links);
    Ok(())
}

/// Gives the owner a fresh random password and answers it.
async fn set_random_password(
    store: &Store,
    clinic: &Clinic,
    owner: &Practitioner,
) -> Result<Secret, Failure> {
    // A fresh random password each time: demo data still must not open
    // to a guess, as a demo instance may be reachable by others.
    let password = Secret::generate("");
    let password_hash =
        aftercare_server::web::password_hash(password.expose()).map_err(|error| Failure::Io {
            what: "cannot make the demo password".to_owned(),
            error: std::io::Error::other(error),
        })?;
    store
        .set_password_hash(&clinic.id, &owner.id, &password_hash)
        .await?;
    Ok(password)
}

/// Adds one demo course: the client, their treatment by the therapist and
/// what they reported since; answers the client's link.
async fn add_course(
    store: &Store,
    guideline: &Guideline,
    clinic: &Clinic,
    therapist: &Practitioner,
    course: &DemoCourse,
    now: Millis,
) -> Result<Secret, Failure> {
    let treated_at = now - course.treated_hours_ago * HOUR_MS;
    let client = store
        .create_client(
            &clinic.id,
            &Actor::System,
            NewClient {
                name: course.client.to_owned(),
                email: None,
                phone: None,
                consent_at: Some(treated_at),
            },
            now,
        )
        .await?;
    let details: Treatment = serde_json::from_str(&format!(
        r#"{{"at":"{}",{}}}"#,
        rfc3339(treated_at),
        course.treatment
    ))
    .unwrap_or_else(|error| unreachable!("demo treatment is valid: {error}"));
    let link = Secret::generate("acl_");
    store
        .create_treatment(
            &clinic.id,
            &Actor::System,
            NewTreatment {
                client_id: client.id,
                practitioner_id: therapist.id.clone(),
                details,
                notes: None,
                link_hash: link.hash(),
                link_expires_at: treated_at + 30 * 24 * HOUR_MS,
            },
            now,
        )
        .await?;
    for (hours, symptoms) in course.checkins {
        let at = treated_at + hours * HOUR_MS;
        let checkin: Checkin = serde_json::from_str(&format!(
            r#"{{"at":"{}","symptoms":{symptoms}}}"#,
            rfc3339(at)
        ))
        .unwrap_or_else(|error| unreachable!("demo check-in is valid: {error}"));
        store
            .submit_checkin(&link.hash(), None, checkin, guideline, at)
            .await?;
    }
    Ok(link)
}

/// Prints how to sign in and the client pages on standard output, and the
/// API token and API links on standard error.
fn print_how_to_look_around(
    public_url: &str,
    clinic: &Clinic,
    owner: &Practitioner,
    token: &Secret,
    password: &Secret,
    links: &[(&str, Secret)],
) {
    println!("Demo clinic created: {}", clinic.name);
    println!("  Sign in at {public_url}/login");
    println!("    email:    {}", owner.email);
    println!("    password: {}", password.expose());
    eprintln!("Demo clinic created: {} ({})", clinic.name, clinic.id);
    eprintln!("  API token of the owner (demo only): {}", token.expose());
    eprintln!(
        "  try: curl -H 'Authorization: Bearer {}' {public_url}/api/v1/alerts",
        token.expose()
    );
    for (client, link) in links {
        eprintln!(
            "  {client}'s course: {public_url}/api/v1/links/{}/course",
            link.expose()
        );
        println!(
            "  {client}'s check-in page: {public_url}/c/{}",
            link.expose()
        );
    }
}

fn rfc3339(millis: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::new(at).to_string()
}
