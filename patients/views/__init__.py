"""Pages of the patients app, by subject: `filings`, `rosters`, `people` (patients, enrolments,
choices, proxies), `stays`, `cards` (retained cards), `hospitals` (windows and the public page),
`diseases`. Each page parses input, calls one service through core.actions.run_service, renders."""
