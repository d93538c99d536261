//! Creating and listing users (administrative; used by the CLI).

use crate::audit::AuditKind;
use crate::domain::{Email, FullName, Password, Role, UserId, Username};
use crate::store::{NewUser, UserRecord};
use crate::{Core, CoreError, RequestContext};

/// A user to create, already parsed.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    /// Login name.
    pub username: Username,
    /// E-mail address.
    pub email: Option<Email>,
    /// Display name.
    pub full_name: Option<FullName>,
    /// Role.
    pub role: Role,
    /// Initial password (checked against the policy).
    pub password: Password,
}

impl Core {
    /// Creates a user after checking the password against the policy.
    pub async fn create_user(
        &self,
        ctx: &RequestContext,
        input: NewUserInput,
    ) -> Result<UserRecord, CoreError> {
        let subject = crate::credential::PolicySubject {
            username: Some(input.username.as_str()),
            email: input.email.as_ref().map(|e| e.as_str()),
            full_name: input.full_name.as_ref().map(|n| n.as_str()),
        };
        let failures = self.evaluate_new_password(&input.password, subject).await?;
        if !failures.is_empty() {
            return Err(CoreError::PolicyViolation(failures));
        }
        let password_hash = self.hash_new(&input.password).await?;
        let id = UserId::new_random();
        let audit = self.event(
            ctx,
            AuditKind::UserCreated,
            Some(id),
            Some(input.username.as_str()),
            Some(input.role.as_str().to_owned()),
        );
        let user = NewUser {
            id,
            username: input.username,
            email: input.email,
            full_name: input.full_name,
            role: input.role,
            password_hash,
            created_at: audit.at,
        };
        let created = self.store.create_user(&user, &audit).await?;
        audit.log();
        Ok(created)
    }

    /// All users.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, CoreError> {
        self.store.list_users().await
    }
}
