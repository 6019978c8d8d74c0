module refuge

go 1.26.8
