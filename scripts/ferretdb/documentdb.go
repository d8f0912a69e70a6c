package main

// documentdbSettings are DocumentDB's own settings (SELECT name, setting FROM pg_settings WHERE
// name LIKE 'documentdb%'), appended to usage-graph.conf. None is set: the one thing looked for,
// a setting that makes a sorted page (find({tenant}).sort({usageDate: -1, _id: -1}).limit(20)) an
// index-ordered scan instead of a top-N sort of every match, was not found in DocumentDB 1.0 (what
// was tried, with the plans, is in docs/database.md, "Sorted pages are a top-N sort"). Settings
// go here, one per line with a comment saying why, so that they reach existing data folders too.
const documentdbSettings = `
# DocumentDB: defaults (see docs/database.md for what was tried for index-ordered sorted pages).
`
