-- Reserved for the deferred indexing pass of first-sync mail (brief H7); filled in the next commit.
select 1;
