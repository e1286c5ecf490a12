//! Clients: adding them and reading them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CLIENT_COLUMNS, audit};
use crate::model::{Actor, Client, ClientId, ClinicId, Millis, NewClient, Page, PageRequest};
use crate::{Store, StoreError};

fn client(row: &AnyRow) -> Result<Client, StoreError> {
    Ok(Client {
        id: ClientId::from_db(row.try_get("id")?),
        clinic_id: ClinicId::from_db(row.try_get("clinic_id")?),
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        consent_at: row.try_get("consent_at")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a client to a clinic.
    pub async fn create_client(
        &self,
        clinic: &ClinicId,
        actor: &Actor,
        new: NewClient,
        now: Millis,
    ) -> Result<Client, StoreError> {
        let created = Client {
            id: ClientId::generate(),
            clinic_id: clinic.clone(),
            name: new.name,
            email: new.email,
            phone: new.phone,
            consent_at: new.consent_at,
            created_at: now,
        };
        let _writer = self.writer().await;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO clients (id, clinic_id, name, email, phone, consent_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(created.id.as_str().to_owned())
        .bind(clinic.as_str().to_owned())
        .bind(created.name.clone())
        .bind(created.email.clone())
        .bind(created.phone.clone())
        .bind(created.consent_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            Some(clinic),
            actor,
            "client.create",
            &format!("client:{}", created.id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// A client of a clinic.
    pub async fn client(&self, clinic: &ClinicId, id: &ClientId) -> Result<Client, StoreError> {
        self.one_in_clinic(
            "clients",
            CLIENT_COLUMNS,
            clinic,
            id.as_str(),
            "client",
            client,
        )
        .await
    }

    /// The clients of a clinic, a page at a time.
    pub async fn list_clients(
        &self,
        clinic: &ClinicId,
        request: &PageRequest,
    ) -> Result<Page<Client>, StoreError> {
        self.page_in_clinic("clients", CLIENT_COLUMNS, clinic, request, client, |c| {
            c.id.to_string()
        })
        .await
    }
}
