"""Use cases. Each public function is one transaction: check, change, audit, record effects."""
