DELETE FROM flights WHERE source = $source AND source_partition = $partition;
