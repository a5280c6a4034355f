-- How the build's model has done so far: tasks whose model answer was accepted, and tasks
-- where the model failed (its answer rejected after the repair round, or its call failed).
-- A model that fails more than it succeeds is not asked again for the rest of the build
-- (orchestrator/src/pipeline/model.rs), so a small model that cannot answer in the
-- schema costs a build minutes, not the whole time budget.
alter table projects
    add column model_accepted integer not null default 0 check (model_accepted >= 0),
    add column model_failed   integer not null default 0 check (model_failed >= 0);
