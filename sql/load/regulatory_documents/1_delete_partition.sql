-- One partition = one publication day: its documents are replaced together.
DELETE FROM regulatory_documents WHERE source_partition = $partition;
