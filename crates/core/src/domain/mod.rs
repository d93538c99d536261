//! Domain values that can only be built by parsing, so nothing downstream validates again.

mod ids;
mod password;
mod reset;
mod token;
mod user;

pub use ids::{AssociateId, UserId};
pub use password::{Password, MAX_PASSWORD_BYTES};
pub use reset::ResetToken;
pub use token::{SessionKind, SessionToken, TokenHash};
pub use user::{Email, FullName, Role, Username};
