-- Accounts: people sign in (sessions) or call the API with tokens; admins see everything.
--
-- The local user seeded by 0001 keeps what was made before accounts existed; it has no
-- password, so nobody signs in as it, and admins see its builds like everyone's.

alter table users
    add column is_admin             boolean not null default false,
    add column disabled_at          timestamptz,
    add column failed_logins        integer not null default 0 check (failed_logins >= 0),
    add column last_failed_login_at timestamptz,
    add column password_changed_at  timestamptz;

-- API tokens: shown once, stored as a SHA-256 of the token (tokens are 256 random bits, so a
-- fast hash is enough); `prefix` is the start of the token, to tell tokens apart in lists.
create table api_tokens (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references users (id) on delete cascade,
    name         text not null check (length(name) between 1 and 100),
    token_hash   bytea not null unique check (length(token_hash) = 32),
    prefix       text not null check (length(prefix) between 4 and 20),
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id, created_at desc);

-- Invitations: a one-time sign-up link an admin hands out (stored hashed, like tokens).
create table invitations (
    id         uuid primary key default gen_random_uuid(),
    token_hash bytea not null unique check (length(token_hash) = 32),
    created_by uuid references users (id) on delete set null,
    is_admin   boolean not null default false,
    note       text not null default '' check (length(note) <= 200),
    expires_at timestamptz not null,
    used_at    timestamptz,
    used_by    uuid references users (id) on delete set null,
    created_at timestamptz not null default now()
);
create index invitations_created_idx on invitations (created_at desc);

-- Secrets the servers share (the key that signs preview links), made once by whichever
-- process needs one first.
create table server_keys (
    name       text primary key,
    secret     bytea not null check (length(secret) >= 32),
    created_at timestamptz not null default now()
);

-- Retention sweeps delete by age.
create index coordination_events_created_idx on coordination_events (created_at);
create index performance_metrics_created_idx on performance_metrics (created_at);
create index coordination_events_owner_idx on coordination_events (owner_id, id);
