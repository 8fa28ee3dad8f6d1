"""The audit programme at a glance (issue 17): the dashboard's figures across rounds and quarters
(``figures``), its pages, charts and exports (``routes``, ``charts``, ``export``), each agency's single-agency
returns (``returns``, ``return_routes``), and the year's audit schedule (``schedule``, ``schedule_routes``)."""
