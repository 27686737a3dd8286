"""Table models (profiles) of juesuan, one YAML file each."""
