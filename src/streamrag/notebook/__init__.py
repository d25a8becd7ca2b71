"""What the notebooks use on top of the pipeline: plots (:mod:`.viz`), live widgets (:mod:`.dashboard`), the
live run with a fallback to a recording (:mod:`.failover`) and the few lines they share (:mod:`.helpers`)."""
