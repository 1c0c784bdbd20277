-- Who did a step and who recorded it: ``actor`` is the person (办理人), ``account`` the login of
-- the web workplace that submitted the step (NULL for the command line and sheets).

ALTER TABLE request_events ADD COLUMN account TEXT;
