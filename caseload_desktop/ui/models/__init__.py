"""Qt item models adapting read-query results for views."""
