-- After a signing secret is rotated, the previous secret keeps signing
-- beside the new one until previous_secret_until, so receivers can switch
-- without dropping a delivery.
ALTER TABLE webhooks ADD COLUMN previous_secret_sealed TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN previous_secret_until TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Set when plugboard disables a webhook by itself (its receiver answered
-- 410 Gone); empty while enabled or when a member disabled it.
ALTER TABLE webhooks ADD COLUMN disabled_reason TEXT COLLATE "C" NOT NULL DEFAULT '';
