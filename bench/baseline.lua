-- Any request to the baseline gets the fixed JSON body.
wrk.method = "GET"
wrk.path = "/health"
