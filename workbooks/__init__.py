"""Sample data of juesuan: the reference department, as published and as carefully filled."""
