-- name: SeedOrganizations :exec
-- Benchmark data: @Organizations organizations named bench-org-NNNNN, and one template author.
INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status, login_type)
VALUES ('00000000-0000-0000-0000-00000000beef', 'bench@example.com', 'bench', '\x00', now(), now(), 'active', 'password')
ON CONFLICT DO NOTHING;

INSERT INTO organizations (id, name, description, created_at, updated_at, display_name)
SELECT gen_random_uuid(), 'bench-org-' || lpad(n::text, 5, '0'), '', now(), now(), 'Bench ' || n
FROM generate_series(1, @Organizations) n;
