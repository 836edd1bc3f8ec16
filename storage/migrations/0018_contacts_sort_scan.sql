-- 0018: the contacts pane's count orders read the contacts table instead
-- of an index each.
--
-- 0012 gave the orders by bookings and by no-shows an index each, so every
-- booking moved its contact in contacts_bookings and every no-show (and
-- every new contact) in contacts_no_shows: 1.03 and 0.37 of the 14.4 WAL
-- frames a delivery wrote on a 100,000-event store, a random leaf each.
-- Without them a page in those orders reads the whole table and keeps
-- the first rows after the cursor in a bounded sort, still by the keyset
-- (count DESC, email): about 3 ms of CPU a page on 20,000 people, where
-- the index read one page's rows. The count columns and the triggers that keep them stay:
-- the pane shows the counts. contacts_last stays (the default order, and
-- the CLI's contact list walks it).

DROP INDEX contacts_bookings;
DROP INDEX contacts_no_shows;
