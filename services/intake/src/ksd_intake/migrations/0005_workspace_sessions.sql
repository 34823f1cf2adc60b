-- The workspace's sign-ins (ksd_intake.workspace): the browser holds only a random cookie; the
-- person's tokens stay here. A login under way is known by the hash of its OAuth `state`, bound
-- to the browser that started it (the hash of its pre-login cookie), and kept 10 minutes.
CREATE TABLE workspace_logins (
    state_hash text PRIMARY KEY,
    browser_hash text NOT NULL,
    verifier text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- A signed-in session, known by the hash of its cookie; it ends when Keycloak's session does
-- (`expires_at` follows the refresh token's expiry) or when the person signs out.
CREATE TABLE workspace_sessions (
    session_hash text PRIMARY KEY,
    actor text NOT NULL,
    role text NOT NULL,
    region text,
    access_token text NOT NULL,
    access_expires_at timestamptz NOT NULL,
    refresh_token text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workspace_sessions_expiry ON workspace_sessions (expires_at);
-- A region's own submissions, newest first (GET /v1/submissions: the workspace's list).
CREATE INDEX submissions_by_region ON submissions (region, accepted_at DESC, id DESC);
