/* Catalog schema: migration i brings user_version i to i+1. Append, never edit. */
#ifndef BA_CATALOG_SCHEMA_H
#define BA_CATALOG_SCHEMA_H

static const char *const ba_schema_migrations[] = {
    /* 0 -> 1: clients, areas, sessions, photos. */
    "CREATE TABLE clients ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE areas ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT);"
    "INSERT INTO areas(name, description) VALUES"
    "  ('forehead', NULL), ('glabella', 'frown lines'), ('crows-feet', NULL),"
    "  ('cheeks', NULL), ('neck', NULL), ('decolletage', NULL), ('abdomen', NULL),"
    "  ('hips', NULL), ('thighs', NULL), ('bust', NULL), ('scar', NULL), ('hands', NULL),"
    "  ('lips', NULL);"
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  client_id INTEGER NOT NULL REFERENCES clients(id),"
    "  date TEXT NOT NULL,"
    "  treatment TEXT,"
    "  number INTEGER NOT NULL,"
    "  provider TEXT,"
    "  notes TEXT,"
    "  UNIQUE(client_id, date));"
    "CREATE TABLE photos ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id),"
    "  area_id INTEGER NOT NULL REFERENCES areas(id),"
    "  view TEXT NOT NULL CHECK (view IN ('frontal','left-45','right-45','left-90',"
    "                                     'right-90','other')),"
    "  stage TEXT NOT NULL CHECK (stage IN ('before','after','progress')),"
    "  master_sha256 TEXT NOT NULL UNIQUE,"
    "  original_sha256 TEXT NOT NULL UNIQUE,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  original_name TEXT,"
    "  ingested_at TEXT NOT NULL,"
    "  captured_at TEXT,"
    "  captured_offset TEXT,"
    "  camera_make TEXT,"
    "  camera_model TEXT,"
    "  orientation INTEGER,"
    "  focal_length_mm REAL,"
    "  focal_length_35mm REAL,"
    "  exposure_time_s REAL,"
    "  f_number REAL,"
    "  iso INTEGER,"
    "  flash_fired INTEGER,"
    "  white_balance INTEGER);"
    "CREATE INDEX photos_session ON photos(session_id);"
    "CREATE INDEX photos_area ON photos(area_id);",

    /* 1 -> 2: alignments (one per photo and reference; re-running replaces it). */
    "CREATE TABLE alignments ("
    "  id INTEGER PRIMARY KEY,"
    "  photo_id INTEGER NOT NULL REFERENCES photos(id),"
    "  reference_id INTEGER NOT NULL REFERENCES photos(id),"
    "  m00 REAL NOT NULL, m01 REAL NOT NULL, m02 REAL NOT NULL,"
    "  m10 REAL NOT NULL, m11 REAL NOT NULL, m12 REAL NOT NULL,"
    "  scale REAL NOT NULL,"
    "  angle_deg REAL NOT NULL,"
    "  inliers INTEGER NOT NULL,"
    "  score REAL NOT NULL,"
    "  method TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE(photo_id, reference_id));",

    /* 2 -> 3: verify --repair marks photos whose master is gone or damaged. */
    "ALTER TABLE photos ADD COLUMN master_problem TEXT"
    "  CHECK (master_problem IN ('missing','corrupt'));",

    /* 3 -> 4: rendered comparisons and the photos in them. */
    "CREATE TABLE comparisons ("
    "  id INTEGER PRIMARY KEY,"
    "  layout TEXT NOT NULL CHECK (layout IN ('side-by-side','stacked','timeline')),"
    "  parameters TEXT NOT NULL,"
    "  render TEXT NOT NULL,"
    "  output TEXT,"
    "  sha256 TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  aligned INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE comparison_photos ("
    "  comparison_id INTEGER NOT NULL REFERENCES comparisons(id),"
    "  position INTEGER NOT NULL,"
    "  photo_id INTEGER NOT NULL REFERENCES photos(id),"
    "  PRIMARY KEY (comparison_id, position));"
    "CREATE INDEX comparison_photos_photo ON comparison_photos(photo_id);",
};

#define BA_SCHEMA_MIGRATION_COUNT \
    (sizeof ba_schema_migrations / sizeof ba_schema_migrations[0])

#endif
