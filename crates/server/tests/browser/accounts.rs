//! The account pages in a real browser, each checked with axe at both
//! widths: the owner adds a therapist, makes a reset link, opens the
//! deactivation and hand-over confirmations; the therapist is held at the
//! change of password at first sign-in, and sets a new password through
//! the reset link.

use super::{log_in, run};

const OWNER: &str = "owner@account-clinic.test";
const THERAPIST: &str = "robin@account-clinic.test";
const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn the_account_pages_work_and_pass_axe_at_both_widths() {
    const TEST: &str = "the_account_pages_work_and_pass_axe_at_both_widths";
    run(TEST, |service, browser| async move {
        let setup = service.setup_link().await;
        browser.open_page(&setup).await;
        browser.fill("#clinic_name", "Account Clinic").await;
        browser.fill("#name", "Ola Owner").await;
        browser.fill("#email", OWNER).await;
        browser.fill("#password", PASSWORD).await;
        browser.submit("main form button[type=submit]").await;

        // The owner adds a therapist with a first password.
        browser.open_page("/team").await;
        browser.fill("#name", "Robin Therapist").await;
        browser.fill("#email", THERAPIST).await;
        browser.fill("#password", PASSWORD).await;
        browser
            .submit("form[action='/team'] button[type=submit]")
            .await;
        assert_eq!(browser.path().await, "/team");
        browser.check_page("team").await;
        let member = browser
            .find("li[data-practitioner] a[href$='/deactivate']")
            .await;
        let deactivate = member
            .attr("href")
            .await
            .expect("read the link")
            .expect("a deactivate link");
        let transfer = deactivate.replace("/deactivate", "/transfer");
        browser.open_page(&deactivate).await;
        browser.check_page("deactivate-confirm").await;
        browser.open_page(&transfer).await;
        browser.check_page("transfer-confirm").await;
        browser.open_page("/team").await;
        browser
            .submit("form[action$='/reset-link'] button[type=submit]")
            .await;
        browser.check_page("reset-link-shown").await;
        let link = browser.visible_text("#reset-link").await;
        assert!(link.starts_with(&service.url("/reset/")), "{link}");
        browser.submit("form[action='/logout'] button").await;

        // The therapist is held at the change of password.
        log_in(&browser, THERAPIST, PASSWORD).await;
        assert_eq!(browser.path().await, "/account/password");
        browser.open_page("/clients").await;
        assert_eq!(browser.path().await, "/account/password");
        browser.check_page("password-change-first").await;
        browser.submit("form[action='/logout'] button").await;

        // Without SMTP the forgot page sends them to their owner.
        browser.open_page("/forgot-password").await;
        assert!(browser.has("#ask-owner").await);
        browser.check_page("forgot-password").await;

        // The reset link sets their own password.
        browser.open_page(&link).await;
        browser.check_page("reset").await;
        browser
            .fill("#new_password", "robin's own long password")
            .await;
        browser.submit("main form button[type=submit]").await;
        assert!(browser.has("#reset-done").await);
        browser.check_page("reset-done").await;
        log_in(&browser, THERAPIST, "robin's own long password").await;
        assert_eq!(browser.path().await, "/dashboard");
        browser.open_page("/account/password").await;
        browser.check_page("password-change").await;
    })
    .await;
}
