"""cityops gateway service: Public REST API of the operations center."""
