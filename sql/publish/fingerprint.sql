-- The shape of the database readers get: its tables, views and macros and the last migration.
-- A slot made under another shape is copied whole, not brought up to date.
SELECT sha256(string_agg(part, chr(10) ORDER BY part))
FROM (
    SELECT sql AS part FROM duckdb_tables()
    WHERE database_name = current_database() AND schema_name = 'main'
    UNION ALL
    SELECT sql FROM duckdb_views()
    WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
    UNION ALL
    SELECT function_name || '(' || array_to_string(parameters, ',') || ') := '
           || coalesce(macro_definition, '')
    FROM duckdb_functions()
    WHERE database_name = current_database() AND NOT internal AND function_type LIKE '%macro%'
    UNION ALL
    SELECT 'migration ' || max(version) FROM schema_migrations
)
