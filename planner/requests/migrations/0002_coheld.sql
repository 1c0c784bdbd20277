-- Co-held requests (a request handed to two or more departments): each department's answer.
-- An event names the department whose answer it is; the request keeps, in step with its events,
-- the departments that have answered 办结 while others have not (see machine.advance).

ALTER TABLE request_events ADD COLUMN department TEXT;    -- 办理中, 办结, 退回 of one department; NULL: the request as a whole

ALTER TABLE requests ADD COLUMN done_departments TEXT NOT NULL DEFAULT '[]';  -- JSON list; empty unless 办理中
