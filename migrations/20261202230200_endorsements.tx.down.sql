DROP TABLE certificate_endorsements;
