-- The background refresher looks for credentials whose access token
-- expires soon, then for those left unrefreshed for long. Each look reads
-- one of these partial indexes instead of every credential row.
CREATE INDEX credentials_refresh_expiry ON credentials (expiry, org_id, connection_id, user_id)
    WHERE status = 'connected' AND refresh_token_sealed <> '' AND expiry <> '';
CREATE INDEX credentials_refresh_idle ON credentials ((CASE WHEN refreshed_at <> '' THEN refreshed_at ELSE connected_at END))
    WHERE status = 'connected' AND refresh_token_sealed <> '';
