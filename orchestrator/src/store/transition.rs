//! Status changes as the store writes them. Every statement that changes a task's,
//! workflow's or build's status binds [`from`] of the new status in its `where`
//! (`... and state = any($n)`), so `can_become` in `domain::status` is the one place that
//! decides which transitions exist: a transition it refuses matches no row and changes
//! nothing. A change aimed at given rows checks how many it changed with [`changed`], which
//! turns a refused transition into an error (and the caller's transaction rolls back).
//!
//! The hot statements of the task path that find their rows by state (claiming ready tasks,
//! releasing and skipping pending dependents) write their source state as a literal
//! instead, and check it with [`written`] before they run. The planner needs the literal:
//! `state = 'ready'` matches the partial indexes on state, while a bound `any($n)` in the
//! generic plan of a prepared statement does not, and it also shrinks the row estimate
//! enough to turn a primary-key lookup of a few dependents into a scan of every open task
//! (measured: the throughput benchmark went from 6,305 to about 1,400 tasks/s).

use std::fmt::Display;

use domain::status::Lifecycle;

use crate::error::{Error, Result};

/// The words of every status that may become `to` (for several targets at once, see
/// [`Lifecycle::sources`]).
pub(crate) fn from<S: Lifecycle>(to: S) -> Vec<&'static str> {
    S::sources(&[to])
}

/// `Ok` when each of the states a statement names as literals in its `where` may become
/// `to`; otherwise the statement would make a transition `can_become` refuses, reported as
/// [`Error::Conflict`] before it runs.
pub(crate) fn written<S: Lifecycle + Display>(literals: &[S], to: S) -> Result<()> {
    let allowed = S::sources(&[to]);
    match literals.iter().find(|s| !allowed.contains(&s.word())) {
        None => Ok(()),
        Some(s) => Err(Error::Conflict(format!("a {s} status cannot become {to}"))),
    }
}

/// `Ok` when an update meant to change `meant` rows changed them all; otherwise the
/// transition to `to` was refused for some of them, reported as [`Error::Conflict`].
pub(crate) fn changed(what: impl Display, to: impl Display, meant: usize, did: u64) -> Result<()> {
    if did == meant as u64 {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "{what} cannot become {to} from its current status ({did} of {meant} changed)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use domain::status::{BuildStatus, TaskState};

    use super::*;

    #[test]
    fn a_short_update_is_a_conflict_that_names_the_transition() {
        assert!(changed("task t", TaskState::Succeeded, 2, 2).is_ok());
        assert!(changed("tasks", TaskState::Ready, 0, 0).is_ok());
        let e = changed("build b", BuildStatus::Running, 1, 0).unwrap_err();
        assert!(
            matches!(&e, Error::Conflict(m) if m.contains("build b cannot become running")),
            "{e}"
        );
        assert!(changed("tasks", TaskState::Failed, 1, 2).is_err());
    }

    #[test]
    fn a_literal_source_is_checked_against_can_become() {
        use domain::status::WorkflowStatus;
        assert!(written(&[TaskState::Ready], TaskState::Running).is_ok());
        assert!(written(&[TaskState::Pending], TaskState::Ready).is_ok());
        assert!(written(&[TaskState::Pending], TaskState::Skipped).is_ok());
        let e = written(&[TaskState::Ready, TaskState::Succeeded], TaskState::Running).unwrap_err();
        assert!(
            matches!(&e, Error::Conflict(m) if m.contains("succeeded status cannot become running")),
            "{e}"
        );
        assert!(written(&[WorkflowStatus::Completed], WorkflowStatus::Running).is_err());
    }

    #[test]
    fn from_lists_what_can_become_the_target() {
        assert_eq!(from(TaskState::Running), ["ready"]);
        assert_eq!(from(BuildStatus::Cancelled), ["queued", "running"]);
    }
}
